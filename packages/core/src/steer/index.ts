// Steering and needs-input (issue 13): pure decisions. The queue's I/O is in src/node/steer/.
export {
  checkSteerId,
  newSteerId,
  normalizeSteerText,
  orderSteerMessages,
  parseSteerFile,
  parseSteerFileName,
  queueFullError,
  STEER_ID_PATTERN,
  STEER_KEEP_DELIVERED,
  STEER_MAX_BYTES,
  STEER_MAX_PENDING,
  STEER_STATES,
  type SteerCorruptFile,
  type SteerMessage,
  type SteerState,
  serializeSteerFile,
  steerFileName,
  utf8ByteLength,
} from "./message.js";
export { findNeedsInput, NEEDS_INPUT_INSTRUCTION, NEEDS_INPUT_MAX_CHARS } from "./needs-input.js";
export { renderSteering } from "./prompt.js";
