import { Router, type Request } from 'express';
import { areaContains } from '../../domain/areas';
import { LEVEL_NAMES } from '../../domain/mediation';
import { ApiError } from '../errors';
import { createInvitation, deactivateMember, listMembers } from './accounts';
import { ROLE_NAMES } from './format';
import { member, type ConsoleDeps, type pageRenderer } from './http';

/**
 * The administrator's members page: every member of its area with its state, a fresh one-time invitation link
 * (shown once, on the answer to the POST), and deactivation. New members are created through POST /api/v1/users,
 * which also answers with the invitation link.
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
  const DONE: Record<string, string> = { deactivated: '已停用该成员：其登录会话、密码和接口令牌均已失效。' };

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
