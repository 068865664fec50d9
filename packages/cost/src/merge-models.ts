import { type ModelInfo, WeftError } from '@weft/core'

/**
 * The catalog with the user's models applied. A user model whose id is a catalog id replaces that
 * entry whole (no field-by-field merge: a price list half from the catalog and half from the user
 * would be hard to audit); any other user model is added.
 *
 * Names must stay unambiguous, or a price would depend on lookup order:
 * - two user models with the same id is an error;
 * - an alias that is another model's id is an error;
 * - an alias claimed by a user model and by a catalog model goes to the user model (that is how a
 *   user re-points a name); claimed by two user models, it is an error.
 */
export function mergeModels(
  catalog: readonly ModelInfo[],
  user: readonly ModelInfo[],
  where: string,
): ModelInfo[] {
  const norm = (s: string) => s.trim().toLowerCase()
  const userIds = new Map<string, number>()
  user.forEach((m, i) => {
    const previous = userIds.get(norm(m.id))
    if (previous !== undefined) {
      throw new WeftError('config_invalid', `${where}: models[${i}]: id "${m.id}" is defined twice`, {
        hint: `keep one definition (the other is models[${previous}])`,
      })
    }
    userIds.set(norm(m.id), i)
  })

  const userAliases = new Map<string, string>()
  for (const m of user) {
    for (const alias of m.aliases) {
      const owner = userAliases.get(norm(alias))
      if (owner !== undefined && owner !== m.id) {
        throw new WeftError(
          'config_invalid',
          `${where}: alias "${alias}" is claimed by "${owner}" and "${m.id}"`,
          {
            hint: 'give each alias to one model',
          },
        )
      }
      userAliases.set(norm(alias), m.id)
    }
  }

  const kept = catalog
    .filter((m) => !userIds.has(norm(m.id)))
    .map((m) => {
      const aliases = m.aliases.filter((a) => !userAliases.has(norm(a)))
      return aliases.length === m.aliases.length ? m : { ...m, aliases }
    })
  const models = [...kept, ...user]

  const ids = new Map(models.map((m) => [norm(m.id), m.id]))
  for (const m of user) {
    for (const alias of m.aliases) {
      const other = ids.get(norm(alias))
      if (other !== undefined) {
        throw new WeftError(
          'config_invalid',
          `${where}: alias "${alias}" of "${m.id}" is the id of ${other === m.id ? 'the model itself' : `model "${other}"`}`,
          {
            hint:
              other === m.id
                ? 'remove the alias'
                : `to change "${other}", define a model with id "${other}" instead (it replaces the catalog entry)`,
          },
        )
      }
    }
  }
  return models
}
