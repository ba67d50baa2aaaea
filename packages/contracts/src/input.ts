import { z } from 'zod';

/*
 * Procedure inputs are objects of named fields. What a person (or a careless client)
 * reads when the input is missing or not an object at all is a sentence, never zod's
 * "expected object, received undefined".
 */

export const InputMessages = {
  notAnObject: 'The input must be an object of named fields, such as {"limit": 20}.',
  wholeNumber: (field: string) => `${field} must be a whole number.`,
} as const;

/**
 * An input whose fields are all optional: no input at all means the same as `{}`, so
 * `feed.list()` and `feed.list({})` get the same defaults.
 */
export function optionalInput<Shape extends z.ZodRawShape>(shape: Shape) {
  const object = z.object(shape, { error: InputMessages.notAnObject });
  return object.prefault({} as z.input<typeof object>);
}

/**
 * An input with required fields: no input at all gets the message an empty `{}` gets
 * (e.g. "Username is required"), anything else that is not an object a sentence saying so.
 */
export function input<Shape extends z.ZodRawShape>(shape: Shape) {
  const object: z.ZodObject<Shape> = z.object(shape, {
    error: (issue) =>
      issue.input === undefined || issue.input === null
        ? (object.safeParse({}).error?.issues[0]?.message ?? InputMessages.notAnObject)
        : InputMessages.notAnObject,
  });
  return object;
}

/** A whole number between `min` and `max`, with sentences for each way it can be wrong. */
export function wholeNumber({
  field,
  min,
  max,
  tooSmall,
  tooBig,
}: {
  /** The field as the start of a sentence, e.g. "limit". */
  field: string;
  min: number;
  max: number;
  tooSmall: string;
  tooBig: string;
}) {
  return z
    .number({ error: InputMessages.wholeNumber(field) })
    .int(InputMessages.wholeNumber(field))
    .min(min, tooSmall)
    .max(max, tooBig);
}
