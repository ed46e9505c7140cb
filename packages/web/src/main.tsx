import { render } from "preact";
import { adoptTokenFromUrl } from "./api/token.js";
import { App } from "./app.js";
import { startLive } from "./live.js";
import "./styles.css";

// Before the first request, so the stream and the state load already carry a token from the URL.
adoptTokenFromUrl();
startLive();
render(<App />, document.getElementById("app")!);
