// Notifications (issue 13), Node side: signing, delivery with timeouts and retries, the runner's
// background notifier and `car notify test`.
export { DELIVERY_DEFAULTS, type DeliveryOptions, type DeliveryResult, deliver } from "./deliver.js";
export {
  type CreatedNotifier,
  createNotifier,
  type FlushResult,
  Notifier,
  type NotifierOptions,
} from "./notifier.js";
export { SIGNATURE_HEADER, signBody } from "./sign.js";
export { sendTestEvent, type TestEventOptions, type TestEventResult } from "./test-event.js";
