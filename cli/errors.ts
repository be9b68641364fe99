// Errors the CLI expects and reports as one line ("hvrr: <message>").

/** An error whose message is meant for the user; `exitCode` is the process exit status. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad command line: unknown command or option, missing or malformed value. Exit 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
