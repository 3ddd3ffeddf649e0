import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { TestSystem } from './harness';

/** Driving the console in Debian's headless Chromium: members with an invitation, screenshots, axe-core. */
export const SHOTS = path.resolve(__dirname, '..', 'test-results', 'console');
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export interface Member {
  id: string;
  name: string;
  email: string;
  token: string;
  invitation: string;
  password: string;
}

let n = 0;
/** A member created by the administrator through the API, with its one-time invitation link. */
export async function createMember(sys: TestSystem, role: string, area: string, extra: Record<string, string> = {}): Promise<Member> {
  const email = `console-${role.replace(/_/g, '-')}-${Date.now().toString(36)}-${n++}@test.pingan.cn`;
  const name = extra.name ?? `${role}${n}`;
  const r = await sys.call('POST', '/api/v1/users', { token: sys.adminToken, body: { name, email, role, area, ...extra } });
  if (r.status !== 201) throw new Error(`creating ${role}: ${r.status} ${JSON.stringify(r.body)}`);
  return { id: r.body.user.id, name, email, token: r.body.token, invitation: r.body.invitation.url, password: `密码-${email}-Pw1` };
}

const invited = new Set<string>();

/** A browser context signed in as the member: the first time by setting its password through the invitation link, then by email and
 *  password on the sign-in page. */
export async function signedIn(browser: Browser, m: Member, viewport = DESKTOP, javaScriptEnabled = true): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', javaScriptEnabled });
  const page = await context.newPage();
  if (!invited.has(m.id)) {
    await page.goto(m.invitation);
    await page.fill('#password', m.password);
    await page.fill('#confirm', m.password);
    await Promise.all([page.waitForURL('**/console?welcome=1'), page.click('button[type=submit]')]);
    invited.add(m.id);
  } else {
    await page.goto(m.invitation.replace(/\/invite\/.*$/, '/sign-in'));
    await page.fill('#email', m.email);
    await page.fill('#password', m.password);
    await Promise.all([page.waitForURL(/\/console$/), page.click('button[type=submit]')]);
  }
  return { context, page };
}

export interface AxeFinding {
  page: string;
  id: string;
  impact: string;
  help: string;
  nodes: string[];
}
export const axeFindings: AxeFinding[] = [];

/** What scrolls sideways on the page as it is laid out now: the document when it is wider than the window, and each scrolled box
 *  (overflow-x auto or scroll) whose content is wider than the box, named by tag, id and class, with its widths. */
const SIDEWAYS = `(() => {
  const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
  const iw = window.innerWidth;
  const found = [];
  const doc = document.documentElement.scrollWidth;
  if (doc > iw) {
    // The outermost elements that stick out on the right, to say what widens the page.
    const out = [];
    for (const e of document.body.querySelectorAll('*')) {
      const r = e.getBoundingClientRect();
      if (r.width === 0 || r.right <= iw + 0.5) continue;
      const p = e.parentElement;
      if (p && p !== document.body && p.getBoundingClientRect().right > iw + 0.5) continue;
      out.push(name(e) + ' to ' + Math.round(r.right) + 'px');
      if (out.length === 4) break;
    }
    found.push('the page is ' + doc + 'px wide in a ' + iw + 'px window (' + out.join(', ') + ')');
  }
  for (const e of document.body.querySelectorAll('*')) {
    const o = getComputedStyle(e).overflowX;
    if ((o === 'auto' || o === 'scroll') && e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
      found.push(name(e) + ' scrolls sideways: ' + e.scrollWidth + 'px of content in ' + e.clientWidth + 'px');
  }
  return found;
})()`;

/** What scrolls sideways on the page at the phone's width (390 px); a page shown at another size is laid out at 390 px for the
 *  look and put back. */
export async function sidewaysAtPhone(page: Page): Promise<string[]> {
  const size = page.viewportSize();
  const resize = !size || size.width !== PHONE.width;
  if (resize) await page.setViewportSize({ width: PHONE.width, height: size?.height ?? PHONE.height });
  try {
    return (await page.evaluate(SIDEWAYS)) as string[];
  } finally {
    if (resize && size) await page.setViewportSize(size);
  }
}

/** Screenshot (full page), nothing scrolling sideways at 390 px (throws, naming what does, with a screenshot at 390 px), and axe-core;
 *  returns the serious or critical violations (the tests expect none). */
export async function check(page: Page, name: string, axe = true): Promise<AxeFinding[]> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const sideways = await sidewaysAtPhone(page);
  if (sideways.length > 0) {
    const size = page.viewportSize();
    if (size && size.width !== PHONE.width) {
      await page.setViewportSize(PHONE);
      await page.screenshot({ path: path.join(SHOTS, `${name}-at-390.png`), fullPage: true });
      await page.setViewportSize(size);
    }
    throw new Error(`${name} (${page.url()}) scrolls sideways at ${PHONE.width} px: ${sideways.join('; ')}`);
  }
  // A page with JavaScript off cannot run axe; its tests check the same pages again in a JavaScript-enabled copy.
  if (!axe) return [];
  // evaluate() runs through the DevTools protocol, which the page's CSP (no inline script) does not block.
  await page.evaluate(AXE);
  const result = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as {
    violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
  };
  const found = result.violations.map((v) => ({ page: name, id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((x) => x.target.join(' ')) }));
  axeFindings.push(...found);
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
