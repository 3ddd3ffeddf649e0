import path from 'node:path';
import express, { Router, type Request } from 'express';
import { toShanghaiIso } from '../../domain/time';
import { z } from 'zod';
import {
  acceptInvitation,
  CONSOLE_LIMITS,
  createSession,
  endAllSessions,
  endSession,
  findInvitation,
  signIn,
} from './accounts';
import {
  checkCsrf,
  clearCookie,
  consoleErrorHandler,
  loadSession,
  member,
  pageRenderer,
  PRE_CSRF_COOKIE,
  securityHeaders,
  SESSION_COOKIE,
  setCookie,
  SignInRequired,
  type ConsoleDeps,
} from './http';
import { consoleAccessGuard } from '../access';
import { mediationPages } from './mediation-pages';
import { petitionPages } from './petition-pages';
import { petitionRegisterPages } from './petition-register';
import { policyPages } from './policy-pages';
import { memberPages } from './members';
import { CONSOLE_TEMPLATES, loadConsoleTemplates } from './render';
import { statsPages } from './stats-pages';
import { supervisionPages } from './supervision';
import { villagePages } from './village-pages';
import { worklistPages } from './worklist';
import { refuseUnstorableText } from '../input-guard';

export type { ConsoleDeps } from './http';
export { createInvitation } from './accounts';

/** The link a new member opens once to set its password. */
export function invitationLink(req: Request, inv: { token: string; expiresAt: Date }): { url: string; expiresAt: string } {
  return { url: `${req.protocol}://${req.get('host')}/console/invite/${inv.token}`, expiresAt: toShanghaiIso(inv.expiresAt) };
}

/**
 * The staff console (/console): server-rendered pages in Simplified Chinese for every role, on the same domain rules
 * and Temporal updates as the API. Plain HTML forms (POST-redirect-GET, CSRF token in each), no script.
 */
export function consoleRoutes(deps: ConsoleDeps): Router {
  const { db } = deps;
  const page = pageRenderer(loadConsoleTemplates());
  const router = Router();
  router.use(securityHeaders);
  router.get('/console.css', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type('css').sendFile(path.join(CONSOLE_TEMPLATES, 'console.css'));
  });
  router.use(express.urlencoded({ extended: false, limit: '100kb', parameterLimit: 200 }));
  // Text PostgreSQL cannot store (NUL, lone surrogates) is refused here as at the API's edge, naming the field.
  router.use(refuseUnstorableText);
  router.use(loadSession(db));
  router.use(checkCsrf);
  router.use(consoleAccessGuard(() => new SignInRequired())); // the access table (api/access.ts)

  // ---- sign-in, sign-out
  const safeNext = (v: unknown) => (typeof v === 'string' && /^\/console(\/|$|\?)/.test(v) && !v.startsWith('//') ? v : '/console');

  router.get('/sign-in', (req, res) => {
    if (req.consoleSession) return res.redirect(303, safeNext(req.query.next));
    page(req, res, 'sign-in', { title: '登录', next: safeNext(req.query.next), signedOut: req.query.out === '1' });
  });
  router.post('/sign-in', async (req, res) => {
    const email = String(req.body.email ?? '').slice(0, 200);
    const next = safeNext(req.body.next);
    const result = await signIn(db, email, String(req.body.password ?? '').slice(0, 200), req.ip ?? '');
    if (!result.ok) {
      const limited = result.reason === 'rate_limited';
      return page(
        req,
        res,
        'sign-in',
        {
          title: '登录',
          next,
          email,
          error: limited ? `登录失败次数过多，请${CONSOLE_LIMITS.failureWindowMs / 60_000}分钟后再试。` : '邮箱或密码不正确。',
        },
        limited ? 429 : 401,
      );
    }
    const s = await createSession(db, result.user.id);
    setCookie(req, res, SESSION_COOKIE, s.token, CONSOLE_LIMITS.absoluteMs);
    clearCookie(req, res, PRE_CSRF_COOKIE);
    res.redirect(303, next);
  });
  router.post('/sign-out', async (req, res) => {
    if (req.consoleSession) await endSession(db, req.consoleSession.idHash);
    clearCookie(req, res, SESSION_COOKIE);
    res.redirect(303, '/console/sign-in?out=1');
  });
  router.post('/sign-out-everywhere', async (req, res) => {
    const actor = member(req);
    await endAllSessions(db, actor.id);
    clearCookie(req, res, SESSION_COOKIE);
    res.redirect(303, '/console/sign-in?out=1');
  });

  // ---- invitations: set a password once
  const Password = z.object({ password: z.string(), confirm: z.string() });
  router.get('/invite/:token', async (req, res) => {
    const user = await findInvitation(db, req.params.token);
    if (!user) return page(req, res, 'message', { title: '邀请链接无效', message: '此链接已使用或已过期，请向管理员申请新的邀请链接。' }, 404);
    page(req, res, 'invite', { title: '设置密码', user, token: req.params.token, min: CONSOLE_LIMITS.minPasswordLength });
  });
  router.post('/invite/:token', async (req, res) => {
    const user = await findInvitation(db, req.params.token);
    if (!user) return page(req, res, 'message', { title: '邀请链接无效', message: '此链接已使用或已过期，请向管理员申请新的邀请链接。' }, 404);
    const b = Password.safeParse(req.body);
    const errors: Record<string, string> = {};
    const pw = b.success ? b.data.password : '';
    if (pw.length < CONSOLE_LIMITS.minPasswordLength) errors.password = `密码至少${CONSOLE_LIMITS.minPasswordLength}个字符。`;
    else if (pw.length > 200) errors.password = '密码不能超过200个字符。';
    else if (pw.toLowerCase() === user.email.toLowerCase()) errors.password = '密码不能与邮箱相同。';
    if (!errors.password && (!b.success || b.data.confirm !== pw)) errors.confirm = '两次输入的密码不一致。';
    if (Object.keys(errors).length > 0) {
      return page(req, res, 'invite', { title: '设置密码', user, token: req.params.token, min: CONSOLE_LIMITS.minPasswordLength, errors }, 400);
    }
    const done = await acceptInvitation(db, req.params.token, pw);
    if (!done) return page(req, res, 'message', { title: '邀请链接无效', message: '此链接已使用或已过期。' }, 404);
    const s = await createSession(db, done.id);
    setCookie(req, res, SESSION_COOKIE, s.token, CONSOLE_LIMITS.absoluteMs);
    clearCookie(req, res, PRE_CSRF_COOKIE);
    res.redirect(303, '/console?welcome=1');
  });

  // ---- the member's pages
  router.use(worklistPages(deps, page));
  router.use(mediationPages(deps, page));
  router.use(supervisionPages(deps, page));
  router.use(statsPages(deps, page));
  router.use(memberPages(deps, page));
  router.use(policyPages(deps, page));
  router.use(villagePages(deps, page));
  router.use(petitionRegisterPages(deps, page));
  router.use(petitionPages(deps, page));

  router.use((req, res) => page(req, res, 'message', { title: '未找到', message: '页面不存在，或不在您的辖区内。' }, 404));
  router.use(consoleErrorHandler(page));
  return router;
}
