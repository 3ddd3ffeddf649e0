/**
 * Area containment in SQL, the one place every query uses: an area lies inside another when it is that area or a path
 * below it ("肃宁县/梁家村镇" contains "肃宁县/梁家村镇/东村"). Compared with `starts_with` on the path and its `/`, never with
 * LIKE, whose `_` and `%` are wildcards: `测试县/甲_镇` must not match `测试县/甲乙镇`. Mirrors domain/areas.ts areaContains.
 */
export function sqlAreaWithin(inner: string, outer: string): string {
  return `(${inner} = ${outer} OR starts_with(${inner}, ${outer} || '/'))`;
}
