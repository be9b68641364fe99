// Bookmarks (m to set, ' to jump), kept beside the trace in FILE.bookmarks
// as JSON: {"a": 1234, "b": 99}, letter to event seq.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export function bookmarksFile(tracePath: string): string {
  return `${tracePath}.bookmarks`;
}

export class Bookmarks {
  private marks = new Map<string, number>();
  /** Why the file could not be read or written, if it could not. */
  problem: string | null = null;

  constructor(private readonly file: string) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return; // none yet
    }
    try {
      const v = JSON.parse(text) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
      for (const [k, s] of Object.entries(v)) if (/^[a-z]$/.test(k) && Number.isSafeInteger(s) && (s as number) >= 0) this.marks.set(k, s as number);
    } catch (e) {
      this.problem = `${file}: ${(e as Error).message}; bookmarks start empty`;
    }
  }

  get(letter: string): number | undefined {
    return this.marks.get(letter);
  }

  all(): [string, number][] {
    return [...this.marks.entries()].sort(([a], [b]) => a.localeCompare(b));
  }

  /** Sets a bookmark and saves the file (atomically); false when it cannot be saved. */
  set(letter: string, seq: number): boolean {
    this.marks.set(letter, seq);
    const tmp = `${this.file}.tmp-${process.pid}`;
    try {
      writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.all()), null, 1) + '\n');
      renameSync(tmp, this.file);
      this.problem = null;
      return true;
    } catch (e) {
      this.problem = `cannot save ${this.file}: ${(e as Error).message}`;
      return false;
    }
  }
}
