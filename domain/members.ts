import { ROLES, type Actor, type Role } from './actors';
import { areaContains, areaSegments } from './areas';
import type { MediationLevel } from './policy';

/**
 * Who may give a staff member which role and area, and what a mediator's role needs (level, area of that level,
 * committee at county): one rule for creating a member and for changing one, used by POST and PATCH /api/v1/users
 * and by the console's members pages. Pure: the committees come from the policy in force.
 */

/** The area of the built-in administrator: every area. No member created through the API may have it. */
export const EVERY_AREA = '*';

/** The roles each role may hand out: an administrator every role (its own included); nobody else creates members. */
const GRANTABLE: Record<Role, readonly Role[]> = {
  admin: ROLES, grid_worker: [], mediator: [], supervisor: [], petition_officer: [], leader: [], village_clerk: [],
};

/**
 * Why `by` may not create (or change) a member with this role and area, or undefined when it may: a member grants
 * only inside its own area, never a wider one, only roles it may hand out, and `*` belongs to the built-in
 * administrator alone (an administrator of 献县 cannot make a global administrator, nor staff in 肃宁县).
 */
export function grantRefusal(by: Pick<Actor, 'role' | 'area'>, input: { role: Role; area: string }): string | undefined {
  if (input.area === EVERY_AREA) return `area: ${EVERY_AREA} belongs to the built-in administrator alone`;
  if (!GRANTABLE[by.role].includes(input.role)) return `role: a ${by.role} may not create a ${input.role}`;
  if (by.area !== EVERY_AREA && !areaContains(by.area, input.area)) {
    return `area: ${input.area} lies outside your area ${by.area}; a member may be created only inside it`;
  }
  return undefined;
}

/** A member's role as it will be after a creation or a change. */
export interface MemberShape {
  role: Role;
  area: string;
  level?: MediationLevel | null;
  committee?: string | null;
}

/** A refusal: 403 for what the granter may not hand out, 400 for an incomplete mediator; with the field it concerns. */
export interface MemberRefusal {
  status: 400 | 403;
  field: 'role' | 'area' | 'level' | 'committee';
  /** English, as the API answers ("field: …"). */
  message: string;
  /** Chinese, shown next to the field in the console. */
  zh: string;
}

const LEVEL_PARTS: Record<MediationLevel, number> = { village: 3, township: 2, county: 1 };
const LEVEL_WORDS: Record<MediationLevel, string> = { village: '村', township: '乡镇', county: '县' };
const LEVEL_EXAMPLE: Record<MediationLevel, string> = { village: '肃宁县/梁家村镇/东村', township: '肃宁县/梁家村镇', county: '肃宁县' };

export function memberRefusal(by: Pick<Actor, 'role' | 'area'>, m: MemberShape, committees: Record<string, string>): MemberRefusal | undefined {
  const grant = grantRefusal(by, m);
  if (grant) {
    const field = grant.startsWith('role') ? 'role' : 'area';
    const zh =
      m.area === EVERY_AREA ? '“*”（全部辖区）只属于内置管理员。'
      : field === 'role' ? '您不能授予该角色。'
      : `该区域不在您的辖区（${by.area}）内，只能在辖区内设置成员。`;
    return { status: 403, field, message: grant, zh };
  }
  if (m.role !== 'mediator') {
    if (m.level) return { status: 400, field: 'level', message: 'level: only mediators have a level and committee', zh: '只有调解员有调解层级。' };
    if (m.committee) return { status: 400, field: 'committee', message: 'committee: only mediators have a level and committee', zh: '只有调解员属于调解委员会。' };
    return undefined;
  }
  if (!m.level) {
    return { status: 400, field: 'level', message: 'level: a mediator needs a level: village, township or county', zh: '调解员须选择调解层级（村、乡镇或县）。' };
  }
  if (areaSegments(m.area).length !== LEVEL_PARTS[m.level]) {
    return {
      status: 400,
      field: 'area',
      message: `area: a ${m.level} mediator's area must be a ${m.level} (${LEVEL_PARTS[m.level]} parts)`,
      zh: `${LEVEL_WORDS[m.level]}级调解员的辖区须是一个${LEVEL_WORDS[m.level]}，如“${LEVEL_EXAMPLE[m.level]}”。`,
    };
  }
  if (m.level === 'county' && (!m.committee || !committees[m.committee])) {
    return {
      status: 400,
      field: 'committee',
      message: `committee: a county mediator needs one of ${Object.keys(committees).join(', ')}`,
      zh: '县级调解员须选择所属的专业人民调解委员会。',
    };
  }
  return undefined;
}
