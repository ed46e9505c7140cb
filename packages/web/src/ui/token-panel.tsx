import { useEffect, useRef, useState } from "preact/hooks";
import { getToken, setToken } from "../api/token.js";

/** The access-token form of both pages (a repo's UI and the hub's): kept in this browser only. */
export function TokenPanel({ unauthorized, onDone }: { unauthorized: boolean; onDone: () => void }) {
  const [value, setValue] = useState(getToken());
  const [shown, setShown] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
  }, []);
  return (
    <form
      id="token-panel"
      class="token-panel"
      onSubmit={(e) => {
        e.preventDefault();
        setToken(value);
        onDone();
      }}
    >
      <label for="token-input">Access token</label>
      <div class="row">
        <input
          id="token-input"
          ref={input}
          type={shown ? "text" : "password"}
          autocomplete="off"
          spellcheck={false}
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
          aria-describedby="token-help"
          aria-invalid={unauthorized}
        />
        <button type="button" class="btn btn-small" onClick={() => setShown(!shown)} aria-pressed={shown}>
          {shown ? "Hide" : "Show"}
        </button>
      </div>
      <p id="token-help" class="muted small">
        The URL <code>car serve</code> (or <code>car hub serve</code>) prints carries it (it is also in{" "}
        <code>.codex-autorunner/server-token</code>, a hub's in <code>.car-hub/server-token</code>), or it is
        your <code>CAR_AUTH_TOKEN</code> / <code>server.auth_token</code>. Kept in this browser only
        (localStorage).
      </p>
      <div class="row">
        <button type="submit" class="btn btn-primary">
          Save token
        </button>
        <button
          type="button"
          class="btn"
          onClick={() => {
            setValue("");
            setToken("");
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

/** The header's Token button that opens the panel; highlighted while the server refuses the token. */
export function TokenButton({
  unauthorized,
  open,
  onToggle,
}: {
  unauthorized: boolean;
  open: boolean;
  onToggle: () => void;
}) {
  return (
    <button
      type="button"
      class={`btn btn-small${unauthorized ? " btn-attn" : ""}`}
      aria-expanded={open}
      aria-controls="token-panel"
      onClick={onToggle}
    >
      Token
    </button>
  );
}
