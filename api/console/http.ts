import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Client } from '@temporalio/client';
import type { Actor } from '../../domain/actors';
import type { Policy } from '../../domain/policy';
import type { Db } from '../../platform/db';
import { ApiError, asUnavailable } from '../errors';
import { CONSOLE_LIMITS, findSession, randomToken, sameToken, type ConsoleSession } from './accounts';
import { chinese, ROLE_NAMES } from './format';
import { isMultipart } from './photos';
import type { Render } from './render';

/** Plumbing shared by every console page: headers, cookies, the session, CSRF, rendering and error pages. */
export interface ConsoleDeps {
  client: Client;
  db: Db;
  policy: Policy;
  taskQueue: string;
  /** Days a new member's API token lives (TOKEN_TTL_DAYS). */
  tokenTtlDays?: number;
}

export const SESSION_COOKIE = 'pingan_console';
/** Before sign-in (sign-in and invitation forms) CSRF is a double-submit cookie; after it, the session's token. */
export const PRE_CSRF_COOKIE = 'pingan_console_csrf';

/** No inline script anywhere; the console's only resources are its own stylesheet. */
export const CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'geolocation=(), microphone=()');
  next();
};

export function cookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.header('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    try {
      out[k] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      // a malformed cookie is ignored
    }
  }
  return out;
}

/** HTTP-only, SameSite=Lax, Path=/console; Secure when the request came over TLS (directly or via the proxy). */
export function setCookie(req: Request, res: Response, name: string, value: string, maxAgeMs: number): void {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/console', 'HttpOnly', 'SameSite=Lax', `Max-Age=${Math.floor(maxAgeMs / 1000)}`];
  if (req.secure) parts.push('Secure');
  res.append('Set-Cookie', parts.join('; '));
}

export const clearCookie = (req: Request, res: Response, name: string) => setCookie(req, res, name, '', 0);

declare module 'express-serve-static-core' {
  interface Request {
    consoleSession?: ConsoleSession;
  }
}

/** Reads the session cookie; a page that needs a member redirects to the sign-in page when there is none. */
export function loadSession(db: Db): RequestHandler {
  return async (req, _res, next) => {
    const token = cookies(req)[SESSION_COOKIE];
    if (token) {
      const s = await findSession(db, token);
      if (s) {
        req.consoleSession = s;
        req.actor = s.actor;
      }
    }
    next();
  };
}

export function member(req: Request): Actor {
  if (!req.consoleSession) throw new SignInRequired();
  return req.consoleSession.actor;
}

export class SignInRequired extends Error {}

/** The CSRF token a form on this page must carry: the session's, or a fresh double-submit cookie before sign-in. */
export function csrfFor(req: Request, res: Response): string {
  if (req.consoleSession) return req.consoleSession.csrf;
  const existing = cookies(req)[PRE_CSRF_COOKIE];
  if (existing && existing.length >= 32) return existing;
  const token = randomToken();
  setCookie(req, res, PRE_CSRF_COOKIE, token, CONSOLE_LIMITS.absoluteMs);
  return token;
}

/** Every POST carries `_csrf`: equal to the session's token, or before sign-in to the double-submit cookie. */
export const checkCsrf: RequestHandler = (req, _res, next) => {
  if (req.method !== 'POST') return next();
  // The report form with photos is multipart: its route parses the body and calls requireCsrf itself.
  if (req.path === '/report' && isMultipart(req)) return next();
  try {
    requireCsrf(req, req.body?._csrf);
    next();
  } catch (err) {
    next(err);
  }
};

export function requireCsrf(req: Request, sent: unknown): void {
  const expected = req.consoleSession?.csrf ?? cookies(req)[PRE_CSRF_COOKIE] ?? '';
  if (typeof sent !== 'string' || !sent || !expected || !sameToken(sent, expected)) {
    throw new ApiError(403, 'csrf', '表单已失效，请返回重新打开页面后再提交 (missing or wrong CSRF token)');
  }
}

interface NavItem {
  href: string;
  label: string;
  current?: boolean;
}

function navFor(actor: Actor): NavItem[] {
  const items: NavItem[] = [{ href: '/console', label: '待办' }];
  if (actor.role === 'grid_worker') items.push({ href: '/console/report', label: '上报纠纷' }, { href: '/console/reports', label: '我的上报' });
  if (actor.role === 'mediator') items.push({ href: '/console/mediations', label: '本单位案件' }, { href: '/console/report', label: '登记纠纷' });
  if (actor.role === 'supervisor') items.push({ href: '/console/overview', label: '辖区总览' }, { href: '/console/mediations', label: '案件列表' }, { href: '/console/village', label: '村务事项' });
  if (actor.role === 'village_clerk') items.push({ href: '/console/village', label: '本村事项' }, { href: '/console/village/new', label: '登记事项' }, { href: `/notices?area=${encodeURIComponent(actor.area)}`, label: '公示栏' });
  if (actor.role === 'petition_officer') items.push({ href: '/console/petitions', label: '信访事项' }, { href: '/console/meetings', label: '周调度会议' });
  if (actor.role === 'leader') items.push({ href: '/console/petitions', label: '我的包案' }, { href: '/console/meetings', label: '周调度会议' });
  if (actor.role === 'supervisor' || actor.role === 'leader') items.push({ href: '/console/stats', label: '统计分析' });
  if (actor.role === 'admin') items.push({ href: '/console/members', label: '成员管理' }, { href: '/console/mediations', label: '案件列表' });
  if (actor.role === 'admin' || actor.role === 'supervisor') items.push({ href: '/console/policy', label: '现行政策' });
  return items;
}

export function pageRenderer(render: Render) {
  return Object.assign(page, { render });
  function page(req: Request, res: Response, name: string, data: Record<string, unknown>, status = 200): void {
    const actor = req.consoleSession?.actor;
    const path = req.path === '/' ? '/console' : `/console${req.path}`;
    const nav = actor ? navFor(actor).map((n) => ({ ...n, current: n.href === path })) : [];
    res
      .status(status)
      .type('html')
      .send(
        render(name, {
          ...data,
          me: actor ? { ...actor, roleName: ROLE_NAMES[actor.role], areaName: actor.area === '*' ? '全部辖区' : actor.area } : null,
          nav,
          csrf: csrfFor(req, res),
        }),
      );
  }
}

/** Errors become pages: 403 on a case of another area is answered as 404, so the page does not tell it exists. */
export function consoleErrorHandler(page: ReturnType<typeof pageRenderer>) {
  return (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err instanceof SignInRequired) {
      if (req.method === 'GET') return res.redirect(303, `/console/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
      return page(req, res, 'message', { title: '请先登录', message: '登录已过期，请重新登录。' }, 401);
    }
    const unavailable = asUnavailable(err);
    if (unavailable) {
      res.setHeader('Retry-After', String(unavailable.retryAfterSeconds));
      const message = '数据库或流程服务暂时不可用，请稍后再试；刚才提交的操作可能尚未完成，请先查看案件再重新提交。';
      return page(req, res, 'message', { title: '系统暂时不可用', message }, 503);
    }
    if (err instanceof ApiError) {
      const status = err.status === 403 && err.code !== 'csrf' ? 404 : err.status;
      const title = status === 404 ? '未找到' : status === 403 ? '无法提交' : status === 409 ? '当前状态不允许此操作' : '无法完成';
      const message = status === 404 ? '页面不存在，或不在您的辖区内。' : chinese(err.message);
      return page(req, res, 'message', { title, message }, status);
    }
    req.log?.error({ err }, 'console error');
    page(req, res, 'message', { title: '系统错误', message: '系统暂时出错，请稍后再试；如果一再出现，请联系管理员。' }, 500);
  };
}
