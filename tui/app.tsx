// The trace browser: Ink views over the model. Only the rows on screen are
// built and drawn; rows are memoised; the scroll state lives here. Long work
// (the index, filters, searches, replays) runs in the Runner's workers and
// reports back between frames.
import { basename } from 'node:path';
import { Box, Text, useApp, useInput, useStdout, type Key } from 'ink';
import { memo, useEffect, useMemo, useReducer, useRef, useState, type ReactElement } from 'react';
import type { TraceKind } from '../core/trace/events.js';
import { lastSeqOf, lastTickOf } from '../replay/targets.js';
import type { TraceReader } from '../replay/traceFile.js';
import { ffaPaneLines } from './ffa.js';
import { FilterError, parseFilter } from './filter.js';
import { columnsFor, consoleLineText, detailLines, fit, headerLine, HELP_LINES, rowLine, type RegistersView } from './format.js';
import type { ConsoleLine, IndexResult, Progress } from './jobs.js';
import type { TraceModel } from './model.js';
import type { RegistersResult } from './registers.js';
import type { JobMessage, Runner } from './runner.js';
import { keepCursorVisible, type Row, type View } from './timeline.js';

type Pane = 'detail' | 'console' | 'ffa';
type PromptKind = 'search' | 'filter' | 'goto' | 'mark' | 'jump';

export interface AppProps {
  model: TraceModel;
  runner: Runner;
  /** Colour (false when NO_COLOR is set). */
  color: boolean;
  /** Fixed size (tests); default: the terminal's, following resizes. */
  size?: { columns: number; rows: number };
}

const RowText = memo(function RowText({ line, selected, color, kind }: { line: string; selected: boolean; color: boolean; kind: TraceKind | 'console' }) {
  const c = !color ? undefined : kind === 'exception' ? 'yellow' : kind === 'console' ? 'green' : kind === 'sched' ? 'cyan' : kind === 'ffa' || kind === 'psci' ? 'magenta' : undefined;
  return (
    <Text wrap="truncate" inverse={selected} {...(c ? { color: c } : {})}>
      {line}
    </Text>
  );
});

const Lines = memo(function Lines({ lines, width }: { lines: readonly string[]; width: number }) {
  return (
    <Box flexDirection="column">
      {lines.map((l, i) => (
        <Text key={i} wrap="truncate">
          {fit(l, width)}
        </Text>
      ))}
    </Box>
  );
});

function useTerminalSize(fixed?: { columns: number; rows: number }): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = (): { columns: number; rows: number } => fixed ?? { columns: stdout.columns || 80, rows: stdout.rows || 24 };
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const on = (): void => setSize(read());
    stdout.on('resize', on);
    return () => {
      stdout.off('resize', on);
    };
  }, [stdout, fixed]);
  return size;
}

const pct = (p: Progress | null): string => (p ? `${Math.floor((100 * p.done) / Math.max(1, p.total))}%` : '');

interface Ui {
  view: View;
  pane: Pane | null;
  /** Keys go to the pane (else to the timeline). */
  focusPane: boolean;
  paneScroll: number;
  /** The console pane's selected line (null: the last). */
  consoleCursor: number | null;
  prompt: { kind: PromptKind; text: string } | null;
  message: string;
  help: boolean;
  indexProgress: Progress | null;
  filterProgress: Progress | null;
  search: { query: string; pending: boolean } | null;
  regs: RegistersView;
}

/** Rows of each part of the screen. */
function layout(columns: number, rows: number, pane: Pane | null) {
  const wide = columns >= 150 && pane !== null;
  const paneWidth = pane === null ? 0 : wide ? Math.min(100, Math.floor(columns * 0.45)) : columns;
  const timelineWidth = wide ? columns - paneWidth - 1 : columns;
  const bodyRows = Math.max(4, rows - 2); // between the status line and the prompt line
  // A narrow screen gives the pane 60%: the detail pane has much to show.
  const paneRows = pane === null ? 0 : wide ? bodyRows : Math.max(3, Math.floor(((bodyRows - 1) * 3) / 5));
  // The column header, the rows; below them the pane's title line and the pane.
  const timelineRows = Math.max(1, (wide || pane === null ? bodyRows : bodyRows - paneRows - 1) - 1);
  return { wide, paneWidth, timelineWidth, bodyRows, paneRows, timelineRows };
}

export function App({ model, runner, color, size: fixedSize }: AppProps) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize(fixedSize);
  const [, redraw] = useReducer((x: number) => x + 1, 0);
  const first = model.seq.first() ?? 0;
  // UI state lives in a ref: Ink delivers the keys of one read synchronously,
  // one after another, and each must see what the one before it did.
  const uiRef = useRef<Ui | null>(null);
  uiRef.current ??= {
    view: { top: first, cursor: first }, pane: null, focusPane: false, paneScroll: 0, consoleCursor: null, prompt: null,
    message: model.bookmarks.problem ?? '', help: false, indexProgress: { done: 0, total: 1 }, filterProgress: null, search: null, regs: { state: 'none' },
  };
  const ui = uiRef.current;
  const size = useRef({ columns, rows });
  size.current = { columns, rows };
  const cancels = useRef<{ filter?: () => void; search?: () => void; regs?: () => void }>({});
  const lastEvent = lastSeqOf(model.reader as TraceReader);
  const L = layout(columns, rows, ui.pane);

  // The index: console lines, lanes, FF-A messages.
  useEffect(() => {
    const cancel = runner.start({ type: 'index' }, (m: JobMessage) => {
      if (m.type === 'progress') ui.indexProgress = m.progress;
      else if (m.type === 'done') {
        model.setIndex(m.result as IndexResult);
        ui.indexProgress = null;
      } else {
        ui.indexProgress = null;
        ui.message = `index: ${m.message}`;
      }
      redraw();
    });
    return () => {
      cancel();
      cancels.current.filter?.();
      cancels.current.search?.();
      cancels.current.regs?.();
    };
  }, [model, runner]);

  const cols = useMemo(
    () => columnsFor(lastEvent, lastTickOf(model.reader as TraceReader), model.lanes && model.lanes.count > 0 ? Math.max(model.cpus, model.lanes.count) : 0),
    [model, lastEvent, model.index],
  );

  const cursorRowOf = (): Row | null => (model.seq.count > 0 ? model.timeline.rowAt(ui.view.cursor) : null);
  const cursorRow = cursorRowOf();
  const cursorEvent = cursorRow?.event ?? null;
  const cursorSeq = cursorRow ? cursorRow.end : ui.view.cursor;
  const visible: Row[] = model.seq.count > 0 ? model.timeline.rowsFrom(ui.view.top, L.timelineRows) : [];

  const rowsNow = (): number => layout(size.current.columns, size.current.rows, ui.pane).timelineRows;

  const moveTo = (seq: number): void => {
    const shown = model.nearestShown(seq);
    const row = shown === null ? null : model.timeline.rowAt(shown);
    if (!row) {
      // Nothing on show yet (a filter scan just started): the rows appear around seq.
      ui.view = { top: seq, cursor: seq };
      return;
    }
    // The target a third of the way down the screen.
    const top = model.timeline.move(row.start, -Math.floor(rowsNow() / 3))!;
    ui.view = { top: top.start, cursor: row.start };
    ui.consoleCursor = null;
  };

  const moveBy = (delta: number): void => {
    const row = model.timeline.move(ui.view.cursor, delta);
    if (!row) return;
    ui.view = keepCursorVisible(model.timeline, { top: ui.view.top, cursor: row.start }, rowsNow());
    ui.consoleCursor = null;
  };

  // Registers for the detail pane: requested once the cursor rests on an event.
  const regsSeq = ui.pane === 'detail' && cursorEvent ? cursorEvent.seq : null;
  useEffect(() => {
    cancels.current.regs?.();
    if (regsSeq === null) {
      ui.regs = { state: 'none' };
      return;
    }
    const t0 = Date.now();
    ui.regs = { state: 'pending', seq: regsSeq, elapsedMs: 0 };
    let done = false;
    const progress = setInterval(() => {
      if (done) return;
      ui.regs = { state: 'pending', seq: regsSeq, elapsedMs: Date.now() - t0 };
      redraw();
    }, 100);
    const start = setTimeout(() => {
      cancels.current.regs = runner.start({ type: 'registers', seq: regsSeq }, (m) => {
        if (m.type === 'progress') return;
        done = true;
        clearInterval(progress);
        ui.regs = m.type === 'done' ? { state: 'done', result: m.result as RegistersResult } : { state: 'error', seq: regsSeq, message: m.message };
        redraw();
      });
    }, 120);
    return () => {
      done = true;
      clearTimeout(start);
      clearInterval(progress);
      cancels.current.regs?.();
    };
  }, [regsSeq, runner]);

  const applyFilter = (text: string): void => {
    cancels.current.filter?.();
    const keep = cursorRowOf()?.event.seq ?? first;
    if (text.trim() === '') {
      model.setFilter(null);
      ui.filterProgress = null;
      moveTo(keep);
      return;
    }
    let f;
    try {
      f = parseFilter(text);
    } catch (e) {
      if (e instanceof FilterError) {
        ui.message = `filter: ${e.message}`;
        return;
      }
      throw e;
    }
    const matches = model.setFilter(f)!;
    ui.filterProgress = { done: 0, total: 1 };
    ui.view = { top: keep, cursor: keep };
    const unmoved = ui.view;
    let placed = false;
    let lastDraw = 0;
    cancels.current.filter = runner.start({ type: 'filter', filter: f }, (m) => {
      if (m.type === 'progress') {
        matches.push(m.progress.found ?? []);
        ui.filterProgress = m.progress;
        // The cursor goes to the first match at or after where it was, once there is one.
        if (!placed && matches.count > 0 && matches.last()! >= keep) {
          placed = true;
          // Unless the user went somewhere meanwhile.
          if (ui.view === unmoved) moveTo(keep);
        }
        const now = Date.now();
        if (now - lastDraw < 100) return;
        lastDraw = now;
      } else if (m.type === 'done') {
        matches.complete = true;
        ui.filterProgress = null;
        if (!placed && matches.count > 0 && ui.view === unmoved) moveTo(keep);
        ui.message = `filter ${f.text}: ${matches.count.toLocaleString('en-US')} events`;
      } else {
        ui.filterProgress = null;
        ui.message = `filter: ${m.message}`;
      }
      redraw();
    });
  };

  const runSearch = (query: string, dir: 1 | -1): void => {
    cancels.current.search?.();
    ui.search = { query, pending: true };
    const from = cursorRowOf()?.event.seq ?? first;
    cancels.current.search = runner.start({ type: 'search', query, fromSeq: from, dir, filtered: model.matches?.complete === true }, (m) => {
      if (m.type === 'progress') return;
      ui.search = { query, pending: false };
      if (m.type === 'error') ui.message = `search: ${m.message}`;
      else if (m.result === null) ui.message = `search: '${query}' not found`;
      else {
        const seq = m.result as number;
        ui.message = `search: '${query}' at #${seq}${(dir === 1 ? seq <= from : seq >= from) ? ' (wrapped around)' : ''}`;
        moveTo(seq);
      }
      redraw();
    });
  };

  const submitPrompt = (kind: PromptKind, text: string): void => {
    if (kind === 'search') {
      if (text.trim() !== '') runSearch(text.trim(), 1);
    } else if (kind === 'filter') {
      applyFilter(text);
    } else if (kind === 'goto') {
      const r = model.resolveJump(text);
      if ('error' in r) ui.message = `go to: ${r.error}`;
      else {
        moveTo(r.seq);
        const shown = model.nearestShown(r.seq);
        ui.message = shown === r.seq ? `at event #${r.seq}` : `event #${r.seq} is filtered out: at #${shown}`;
      }
    }
  };

  const consoleNow = (): ConsoleLine[] => {
    const row = cursorRowOf();
    return model.index ? model.consoleUpTo(row ? row.end : ui.view.cursor) : [];
  };

  function togglePane(p: Pane): void {
    ui.paneScroll = 0;
    ui.consoleCursor = null;
    if (ui.pane === p) {
      ui.pane = null;
      ui.focusPane = false;
    } else {
      ui.pane = p;
      ui.focusPane = p === 'console';
    }
    // The cursor stays on screen in the smaller timeline.
    ui.view = keepCursorVisible(model.timeline, ui.view, rowsNow());
  }

  const onKey = (input: string, key: Key): void => {
    const prompt = ui.prompt;
    if (prompt) {
      if (key.escape) ui.prompt = null;
      else if (key.return) {
        ui.prompt = null;
        if (prompt.kind !== 'mark' && prompt.kind !== 'jump') submitPrompt(prompt.kind, prompt.text);
      } else if (key.backspace || key.delete) prompt.text = prompt.text.slice(0, -1);
      else if (prompt.kind === 'mark' || prompt.kind === 'jump') {
        ui.prompt = null;
        if (!/^[a-z]$/.test(input)) ui.message = 'bookmarks are the letters a-z';
        else if (prompt.kind === 'mark') {
          const seq = cursorRowOf()?.event.seq ?? first;
          ui.message = model.bookmarks.set(input, seq) ? `bookmark ${input} = event #${seq}` : model.bookmarks.problem ?? 'cannot save';
        } else {
          const seq = model.bookmarks.get(input);
          if (seq === undefined) ui.message = `no bookmark ${input}`;
          else {
            moveTo(seq);
            ui.message = `bookmark ${input}: event #${seq}`;
          }
        }
      } else if (input && !key.ctrl) prompt.text += input;
      return;
    }
    if (key.ctrl && input === 'c') {
      exit();
      return;
    }
    if (ui.help) {
      if (key.escape || input === '?' || input === 'q') ui.help = false;
      return;
    }
    if (input === 'q') {
      exit();
      return;
    }
    if (input === '?') {
      ui.help = true;
      return;
    }
    ui.message = '';
    if (key.escape) {
      if (ui.pane) togglePane(ui.pane);
      return;
    }
    if (key.tab) {
      if (ui.pane) ui.focusPane = !ui.focusPane;
      return;
    }
    const Lnow = layout(size.current.columns, size.current.rows, ui.pane);
    const page = Math.max(1, (ui.focusPane ? Lnow.paneRows : Lnow.timelineRows) - 1);
    const down = key.downArrow || input === 'j' ? 1 : key.pageDown || input === ' ' || (key.ctrl && input === 'f') ? page : 0;
    const up = key.upArrow || input === 'k' ? 1 : key.pageUp || input === 'b' || (key.ctrl && input === 'b') ? page : 0;
    if (ui.focusPane && ui.pane) {
      if (input === 'c' || input === 'a' || input === 'd') togglePane(input === 'c' ? 'console' : input === 'a' ? 'ffa' : 'detail');
      else if (ui.pane === 'console') {
        const lines = consoleNow();
        const cur = ui.consoleCursor ?? lines.length - 1;
        if (down || up) ui.consoleCursor = Math.max(0, Math.min(lines.length - 1, cur + down - up));
        else if (key.return && lines[cur]) {
          // Back to the event that printed the line.
          const line = lines[cur]!;
          moveTo(line.first);
          ui.focusPane = false;
          ui.message = `console line printed by events #${line.first}..#${line.last}`;
        }
      } else if (down || up) {
        ui.paneScroll = Math.max(0, ui.paneScroll + down - up);
      }
      return;
    }
    const ev = cursorRowOf()?.event ?? null;
    if (down) moveBy(down);
    else if (up) moveBy(-up);
    else if (key.home) moveTo(first);
    else if (key.end || input === 'G') moveTo(model.seq.last() ?? first);
    else if (input === 'g') ui.prompt = { kind: 'goto', text: '' };
    else if (input === '/') ui.prompt = { kind: 'search', text: '' };
    else if (input === 'f') ui.prompt = { kind: 'filter', text: model.filter?.text ?? '' };
    else if (input === 'F') applyFilter('');
    else if (input === 'm') ui.prompt = { kind: 'mark', text: '' };
    else if (input === "'") ui.prompt = { kind: 'jump', text: '' };
    else if (input === 'n' || input === 'N') {
      if (ui.search) runSearch(ui.search.query, input === 'n' ? 1 : -1);
      else ui.message = 'no search yet: / searches';
    } else if ((input === ']' || input === '[') && ev) {
      const s = model.nextOfKind(ev.seq, ev.kind, input === ']' ? 1 : -1);
      if (s === null) ui.message = `no ${input === ']' ? 'later' : 'earlier'} ${ev.kind} event`;
      else moveTo(s);
    } else if (key.return || input === 'd') togglePane('detail');
    else if (input === 'c') togglePane('console');
    else if (input === 'a') togglePane('ffa');
  };

  useInput((input: string, key: Key) => {
    if (input.length > 1 && !key.ctrl && !key.meta) {
      // Several keys in one read (typed ahead, pasted, tmux send-keys): one at a time.
      for (const ch of input) onKey(ch === '\r' || ch === '\n' ? '' : ch, { ...key, return: ch === '\r' || ch === '\n', tab: ch === '\t' });
    } else {
      onKey(input, key);
    }
    redraw();
  });

  // ---- drawing ----
  const consoleLines = model.index ? model.consoleUpTo(cursorSeq) : [];
  const { pane, focusPane, prompt, help, paneScroll, consoleCursor, regs, search, filterProgress, indexProgress, message } = ui;
  const { wide, paneWidth, timelineWidth, bodyRows, paneRows, timelineRows } = L;
  const paneLines = (): string[] => {
    if (pane === 'detail') return cursorEvent ? detailLines(cursorEvent, regs, consoleLines, paneWidth) : ['no event'];
    if (pane === 'ffa') return model.index ? ffaPaneLines(model.index.ffa, cursorSeq) : [`indexing ${pct(indexProgress)} ...`];
    return [];
  };
  const status = (() => {
    const parts = [`${model.reader.eventCount.toLocaleString('en-US')} events`];
    if (model.filter) parts.push(`filter ${model.filter.text}: ${model.seq.count.toLocaleString('en-US')}${model.matches?.complete ? '' : `+ (scanning ${pct(filterProgress)})`}`);
    if (indexProgress) parts.push(`indexing ${pct(indexProgress)}`);
    if (search?.pending) parts.push(`searching '${search.query}'`);
    if (cursorRow) parts.push(`at ${(model.seq.index(cursorRow.start) + 1).toLocaleString('en-US')}/${model.seq.count.toLocaleString('en-US')}`);
    return `hvrr tui ${basename(model.path)}  ${parts.join('  ')}`;
  })();

  const bottom = prompt
    ? `${{ search: '/', filter: 'filter: ', goto: 'go to (N, e N, t T): ', mark: 'set bookmark (a-z): ', jump: 'jump to bookmark (a-z): ' }[prompt.kind]}${prompt.text}_`
    : message || '? keys  / search  f filter  g go to  ] [ next/prev kind  Enter detail  c console  a FF-A  q quit';

  let paneView: ReactElement | null = null;
  if (help) {
    paneView = <Lines lines={HELP_LINES.slice(0, Math.max(1, paneRows || bodyRows))} width={paneWidth || columns} />;
  } else if (pane === 'console') {
    const lines = consoleLines;
    const cur = consoleCursor ?? lines.length - 1;
    const start = Math.max(0, Math.min(cur - paneRows + 2, lines.length - paneRows + 1));
    const w = String(lastEvent).length + 1;
    const shown = [`console up to event #${cursorSeq}${model.index ? '' : ` (indexing ${pct(indexProgress)})`}; ${focusPane ? 'Enter: go to the event that printed the line' : 'Tab: focus'}`,
      ...lines.slice(start, start + paneRows - 1).map((l, i) => consoleLineText(l, focusPane && start + i === cur, w))];
    paneView = <Lines lines={shown} width={paneWidth} />;
  } else if (pane) {
    const all = paneLines();
    const s = Math.min(paneScroll, Math.max(0, all.length - paneRows));
    paneView = <Lines lines={all.slice(s, s + paneRows)} width={paneWidth} />;
  }

  const timeline = (
    <Box flexDirection="column" width={timelineWidth}>
      <Text wrap="truncate" bold>
        {headerLine(cols, timelineWidth)}
      </Text>
      {visible.length === 0 ? (
        <Text>{model.filter ? (model.matches?.complete ? 'no event passes the filter' : `scanning ${pct(filterProgress)} ...`) : 'the trace has no events'}</Text>
      ) : (
        visible.map((row) => (
          <RowText
            key={row.start}
            line={rowLine(row, cols, timelineWidth, model.lanesAt(row.end), row.start === cursorRow?.start)}
            selected={row.start === cursorRow?.start}
            color={color}
            kind={row.text !== undefined ? 'console' : row.event.kind}
          />
        ))
      )}
    </Box>
  );

  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Text wrap="truncate" inverse>
        {fit(status, columns)}
      </Text>
      {wide ? (
        <Box flexDirection="row" height={bodyRows}>
          {timeline}
          <Box width={1} />
          {paneView}
        </Box>
      ) : (
        <Box flexDirection="column" height={bodyRows}>
          {help ? paneView : timeline}
          {!help && paneView ? (
            <>
              <Text wrap="truncate" dimColor>
                {fit(`${'-'.repeat(2)} ${pane}${focusPane ? ' (focus: Tab returns)' : ''} `, columns).replace(/ +$/, (m) => '-'.repeat(m.length))}
              </Text>
              {paneView}
            </>
          ) : null}
        </Box>
      )}
      <Text wrap="truncate">{fit(bottom, columns)}</Text>
    </Box>
  );
}
