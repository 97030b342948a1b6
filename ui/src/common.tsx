/** Pieces every page uses: loading with refresh, errors, the preview-then-send button. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Address, Chain } from './rpc.js';
import { preview, send, type Preview, type Sent, type SystemCall } from './wallet.js';

export interface Loaded<T> {
  data?: T;
  error?: string;
  reload: () => void;
}

/**
 * Loads with `load` now and every `refreshMs` while the tab is visible; a
 * failed refresh keeps the last data and shows the error beside it.
 */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[], refreshMs = 3_000): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  const [tick, setTick] = useState(0);
  const current = useRef(0);
  useEffect(() => {
    const run = ++current.current;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const go = async (): Promise<void> => {
      // A hidden tab does not poll the node; it catches up when shown again.
      if (!document.hidden || state.data === undefined) {
        try {
          const data = await load();
          if (run === current.current) setState({ data });
        } catch (err) {
          if (run === current.current) setState((s) => ({ ...s, error: (err as Error).message }));
        }
      }
      if (run === current.current && refreshMs > 0) timer = setTimeout(() => void go(), refreshMs);
    };
    void go();
    return () => {
      current.current++;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { ...state, reload: useCallback(() => setTick((t) => t + 1), []) };
}

export function ErrorBox({ message }: { message: string | undefined }) {
  if (message === undefined) return null;
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  return (
    <section class="card" aria-labelledby={id === undefined ? undefined : `${id}-title`} id={id}>
      <h2 id={id === undefined ? undefined : `${id}-title`}>{title}</h2>
      {children}
    </section>
  );
}

type ActionState =
  | { step: 'idle' }
  | { step: 'checking' }
  | { step: 'doomed'; reason: string }
  | { step: 'ready'; preview: Preview; call: SystemCall }
  | { step: 'sending' }
  | { step: 'done'; sent: Sent }
  | { step: 'failed'; message: string };

export interface ActionProps {
  chain: Chain;
  /** The connected wallet's account; undefined: read-only (typed address), nothing can be sent. */
  from: Address | undefined;
  label: string;
  /** Builds the call from the form; a thrown error is shown as a bad input. */
  build: () => SystemCall;
  /** Said in the confirmation line, e.g. 'delegate 100 CMT to node1'. */
  describe: (call: SystemCall) => string;
  onDone?: () => void;
  testId: string;
}

/**
 * Check, then confirm: the call runs with eth_call first; a doomed call is
 * explained and nothing is sent, a good one waits for a second click that
 * hands it to the wallet.
 */
export function Action({ chain, from, label, build, describe, onDone, testId }: ActionProps) {
  const [state, setState] = useState<ActionState>({ step: 'idle' });
  const check = async (): Promise<void> => {
    if (from === undefined) return;
    let call: SystemCall;
    try {
      call = build();
    } catch (err) {
      setState({ step: 'doomed', reason: (err as Error).message });
      return;
    }
    setState({ step: 'checking' });
    const result = await preview(chain, from, call);
    setState(result.ok ? { step: 'ready', preview: result, call } : { step: 'doomed', reason: result.reason ?? 'the call would fail' });
  };
  const confirm = async (call: SystemCall, gas: bigint | undefined): Promise<void> => {
    if (from === undefined) return;
    setState({ step: 'sending' });
    try {
      const sent = await send(chain, from, call, gas);
      setState({ step: 'done', sent });
      onDone?.();
    } catch (err) {
      setState({ step: 'failed', message: (err as Error).message });
    }
  };
  return (
    <div class="action" data-testid={testId}>
      <button type="button" onClick={() => void check()} disabled={from === undefined || state.step === 'checking' || state.step === 'sending'}>
        {label}
      </button>
      {from === undefined && <span class="hint">connect a wallet to send</span>}
      <div aria-live="polite" class="action-result">
        {state.step === 'checking' && <span>checking with eth_call…</span>}
        {state.step === 'doomed' && (
          <p class="error" data-testid={`${testId}-doomed`}>
            Not sent: this transaction would fail: <strong>{state.reason}</strong>
          </p>
        )}
        {state.step === 'ready' && (
          <p class="ok">
            Checked: {describe(state.call)} would succeed{state.preview.gas === undefined ? '' : ` (about ${state.preview.gas} gas)`}.{' '}
            <button type="button" class="primary" data-testid={`${testId}-confirm`} onClick={() => void confirm(state.call, state.preview.gas)}>
              Sign and send
            </button>{' '}
            <button type="button" onClick={() => setState({ step: 'idle' })}>
              Cancel
            </button>
          </p>
        )}
        {state.step === 'sending' && <span>waiting for the wallet and the block…</span>}
        {state.step === 'done' && (
          <p class={state.sent.ok ? 'ok' : 'error'} data-testid={`${testId}-done`}>
            {state.sent.ok ? 'Done' : `Failed: ${state.sent.log ?? 'reverted'}`} in block {state.sent.blockNumber.toString()} (<code>{state.sent.hash}</code>)
          </p>
        )}
        {state.step === 'failed' && <p class="error">{state.message}</p>}
      </div>
    </div>
  );
}
