/** An environment variable's value, or undefined when it is unset or only whitespace. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
