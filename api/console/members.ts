import { Router, type Request, type Response } from 'express';
import type { Actor } from '../../domain/actors';
import { areaContains } from '../../domain/areas';
import { memberRefusal } from '../../domain/members';
import { LEVEL_NAMES } from '../../domain/mediation';
import { createUser, type UserView } from '../../platform/users';
import { ApiError } from '../errors';
import { ChangeUserBody, changeableMember, changeMember, mergeChange } from '../members';
import { CreateUserBody } from '../schemas';
import { createInvitation, deactivateMember, listMembers } from './accounts';
import { ROLE_NAMES } from './format';
import { chosenAs, filterBox } from './case-list';
import { member, type ConsoleDeps, type pageRenderer } from './http';

type Values = Record<string, string>;
type Errors = Record<string, string>;

/** What the form's fields say when the schema refuses them (the rule itself is the schema's). */
const FIELD_MESSAGES: Record<string, string> = {
  name: '请填写姓名（最多100个字符）。',
  email: '请填写有效的邮箱地址。',
  role: '请选择角色。',
  area: '请填写有效辖区：县/乡镇/村，1至3级，如“肃宁县/梁家村镇/东村”。',
  level: '请选择调解层级。',
  committee: '请选择调解委员会。',
};

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** The form's fields as the API's body: an empty select is an absent field. */
function formBody(v: Values, fields: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) if (str(v[f]) !== '') out[f] = str(v[f]);
  return out;
}

/** The schema's refusals, one Chinese message per field. */
function zodErrors(issues: { path: PropertyKey[]; message: string }[]): Errors {
  const out: Errors = {};
  for (const i of issues) {
    const field = String(i.path[0] ?? '_form');
    out[field] ??= field === 'area' && /belongs to the built-in administrator/.test(i.message) ? '“*”（全部辖区）只属于内置管理员。' : FIELD_MESSAGES[field] ?? '填写有误。';
  }
  return out;
}

/**
 * The administrator's members pages: every member of its area with its state; a new member (its one-time invitation
 * link shown once, on the answer to the POST, as POST /api/v1/users answers it); a member's role or area changed (as
 * PATCH /api/v1/users/:id, audited with before and after); a fresh invitation link; deactivation. The rule of a
 * member's role, area and mediator unit is domain/members.ts memberRefusal, shown next to the field it concerns.
 */
export function memberPages(deps: ConsoleDeps, page: ReturnType<typeof pageRenderer>): Router {
  const { db } = deps;
  const router = Router();
  const admin = (req: Request) => {
    return member(req); // administrators only (api/access.ts)
  };
  const target = async (req: Request) => {
    const actor = admin(req);
    const m = (await listMembers(db, actor.area, { id: String(req.params.id) })).items[0];
    if (!m || (actor.area !== '*' && !areaContains(actor.area, m.area))) throw new ApiError(404, 'not_found', 'no such member');
    return { actor, m };
  };
  const DONE: Record<string, string> = {
    deactivated: '已停用该成员：其登录会话、密码和接口令牌均已失效。',
    changed: '已修改该成员的角色或辖区，立即生效；修改前后的内容已记入审计记录。',
  };

  // ---- the member form: new member, or a member's role and area (the rule of both: domain/members.ts memberRefusal)
  const committees = () => Object.entries(deps.policy.mediation.committees).map(([code, name]) => ({ code, name }));
  const form = (req: Request, res: Response, data: { edit?: UserView; values: Values; errors: Errors }, status = 200) => {
    const actor = member(req);
    const m = data.edit;
    page(req, res, 'member-form', {
      title: m ? `修改成员：${m.name}` : '新增成员',
      edit: !!m,
      m: m && { ...m, roleName: ROLE_NAMES[m.role], levelName: m.level ? LEVEL_NAMES[m.level] : '' },
      action: m ? `/console/members/${m.id}` : '/console/members/new',
      values: data.values,
      errors: data.errors,
      hasErrors: Object.keys(data.errors).length > 0,
      roles: Object.entries(ROLE_NAMES).map(([code, name]) => ({ code, name })),
      levels: Object.entries(LEVEL_NAMES).map(([code, name]) => ({ code, name })),
      committees: committees(),
      areaHint: actor.area === '*' ? '肃宁县/梁家村镇/东村' : actor.area,
    }, status);
  };
  /** memberRefusal as an error next to its field (403 and 400 alike are the form's to correct). */
  const shapeErrors = (actor: Actor, shape: Parameters<typeof memberRefusal>[1]): Errors => {
    const r = memberRefusal(actor, shape, deps.policy.mediation.committees);
    return r ? { [r.field]: r.zh } : {};
  };

  router.get('/members/new', (req, res) => {
    const actor = admin(req);
    form(req, res, { values: { area: actor.area === '*' ? '' : actor.area }, errors: {} });
  });
  router.post('/members/new', async (req, res) => {
    const actor = admin(req);
    const values = req.body as Values;
    const parsed = CreateUserBody.safeParse(formBody(values, ['name', 'email', 'role', 'area', 'level', 'committee']));
    const errors = parsed.success ? shapeErrors(actor, parsed.data) : zodErrors(parsed.error.issues);
    if (!parsed.success || Object.keys(errors).length > 0) return form(req, res, { values, errors }, 400);
    const { user } = await createUser(db, parsed.data, actor, deps.tokenTtlDays);
    const inv = await createInvitation(db, user.id, actor.id);
    // The link is shown on this answer only (a reload does not show it again: it is not stored in clear).
    page(req, res, 'invitation', {
      title: '邀请链接',
      created: true,
      m: { ...user, roleName: ROLE_NAMES[user.role] },
      url: `${req.protocol}://${req.get('host')}/console/invite/${inv.token}`,
      expiresAt: inv.expiresAt.toISOString(),
    }, 201);
  });

  /** The member the administrator may change; refusals as the API gives them (404 outside the area, 409 otherwise). */
  const changeable = async (req: Request) => {
    const actor = admin(req);
    try {
      return { actor, m: await changeableMember(db, actor, String(req.params.id)) };
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) throw new ApiError(409, 'invalid_state', `${changeRefusal(err.message)} (${err.message})`);
      throw err;
    }
  };
  router.get('/members/:id', async (req, res) => {
    const { m } = await changeable(req);
    form(req, res, { edit: m, values: { role: m.role, area: m.area, level: m.level ?? '', committee: m.committee ?? '' }, errors: {} });
  });
  router.post('/members/:id', async (req, res) => {
    const { actor, m } = await changeable(req);
    const values = req.body as Values;
    const fields = formBody(values, ['role', 'area', 'level', 'committee']);
    const parsed = ChangeUserBody.safeParse({ role: fields.role, area: fields.area, level: fields.level ?? null, committee: fields.committee ?? null });
    if (!parsed.success) return form(req, res, { edit: m, values, errors: zodErrors(parsed.error.issues) }, 400);
    const change = mergeChange(m, parsed.data);
    const errors = shapeErrors(actor, change);
    if (Object.keys(errors).length > 0) return form(req, res, { edit: m, values, errors }, 400);
    await changeMember(deps, actor, m, change);
    res.redirect(303, '/console/members?done=changed');
  });

  const PAGE = 50;
  router.get('/members', async (req, res) => {
    const actor = admin(req);
    const q = req.query as Record<string, string>;
    const f = {
      text: typeof q.text === 'string' ? q.text.trim().slice(0, 100) : '',
      role: typeof q.role === 'string' && q.role in ROLE_NAMES ? q.role : '',
    };
    const pageNo = Math.max(1, Math.min(1000, Number.parseInt(q.page ?? '1', 10) || 1));
    const { items, total } = await listMembers(db, actor.area, { ...f, limit: PAGE, offset: (pageNo - 1) * PAGE });
    const pages = Math.max(1, Math.ceil(total / PAGE));
    const link = (p: number) => `/console/members?${new URLSearchParams({ ...f, page: String(p) }).toString()}`;
    page(req, res, 'members', {
      title: '成员管理',
      items: items.map((u) => ({
        ...u,
        roleName: ROLE_NAMES[u.role],
        levelName: u.level ? LEVEL_NAMES[u.level] : '',
        state: !u.active ? '已停用' : u.hasPassword ? '已启用' : '待设置密码',
        self: u.id === actor.id,
      })),
      f,
      roles: Object.entries(ROLE_NAMES).map(([code, name]) => ({ code, name, selected: code === f.role })),
      total,
      pageNo,
      pages,
      prev: pageNo > 1 ? link(pageNo - 1) : null,
      next: pageNo < pages ? link(pageNo + 1) : null,
      done: typeof q.done === 'string' ? DONE[q.done] : undefined,
      filters: filterBox('/console/members', [chosenAs('姓名、邮箱或辖区', f.text), chosenAs('角色', f.role && ROLE_NAMES[f.role as keyof typeof ROLE_NAMES])], items.length > 0),
    });
  });
  router.post('/members/:id/invitation', async (req, res) => {
    const { actor, m } = await target(req);
    if (!m.active) throw new ApiError(409, 'invalid_state', '该成员已停用 (member is deactivated)');
    const inv = await createInvitation(db, m.id, actor.id);
    page(req, res, 'invitation', {
      title: '邀请链接',
      m: { ...m, roleName: ROLE_NAMES[m.role] },
      url: `${req.protocol}://${req.get('host')}/console/invite/${inv.token}`,
      expiresAt: inv.expiresAt.toISOString(),
    }, 201);
  });
  router.post('/members/:id/deactivate', async (req, res) => {
    const { actor, m } = await target(req);
    if (m.id === 'admin' || m.id === actor.id) throw new ApiError(409, 'invalid_state', '不能停用自己或内置管理员 (cannot deactivate yourself or the built-in administrator)');
    await deactivateMember(db, m.id, actor);
    res.redirect(303, '/console/members?done=deactivated');
  });
  return router;
}

function changeRefusal(message: string): string {
  if (/built-in administrator/.test(message)) return '内置管理员的角色和辖区不能修改';
  if (/your own/.test(message)) return '不能修改自己的角色或辖区，请由另一位管理员修改';
  return '该成员已停用';
}
