import { render } from "preact";
import { adoptTokenFromUrl } from "../api/token.js";
import { HubApp } from "./app.js";
import { startHubLive } from "./live.js";
import "../styles.css";
import "./hub.css";

// Before the stream opens, so its first request already carries a token from the URL.
adoptTokenFromUrl();
startHubLive();
render(<HubApp />, document.getElementById("app")!);
