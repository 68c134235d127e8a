/**
 * @module
 * The shape of the allow-list file, as a TypeBox schema: structure only (types, required fields,
 * no unknown keys, non-empty lists). What the values mean (globs, durations, role names, root) is
 * checked afterwards in `load-allow-list.ts`, where a message can name the rule and explain the fix.
 *
 * The file is checked in two layers so that one broken rule does not hide the problems of the others:
 * the top level first, then each rule on its own.
 */
import Type, { type Static } from 'typebox'
import { Compile } from 'typebox/compile'

/** A Vault duration string (`"1h"`, `"90s"`, `"2d"`, `"3600"`) or a whole number of seconds. */
const DurationSchema = Type.Union([Type.String(), Type.Integer()])

const GlobListSchema = Type.Array(Type.String(), { minItems: 1 })

export const RuleSchema = Type.Object(
  {
    name: Type.String(),
    namespaces: GlobListSchema,
    serviceAccounts: GlobListSchema,
    policies: GlobListSchema,
    ttl: Type.Optional(
      Type.Object({ default: DurationSchema, max: DurationSchema }, { additionalProperties: false }),
    ),
    fixedTtl: Type.Optional(DurationSchema),
    tokenRole: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)

export const AllowListFileSchema = Type.Object(
  { rules: Type.Array(Type.Unknown()) },
  { additionalProperties: false },
)

/** One rule as written in the file, once its structure is known to be right. */
export type RuleSource = Static<typeof RuleSchema>

export const ruleValidator = Compile(RuleSchema)
export const allowListFileValidator = Compile(AllowListFileSchema)
