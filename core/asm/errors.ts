/** Error raised for any assembly problem; the message always starts with `line N: `. */
export class AsmError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
    this.name = "AsmError";
  }
}
