import { z } from "zod";
import { STEER_STATES } from "../steer/message.js";

/** A steering message as the API and `car steer --list --json` show it. */
export const steerMessageSchema = z.strictObject({
  id: z.string(),
  text: z.string(),
  created_at: z.string(),
  /** pending → delivering (in the prompt of run `run_id`, not finished) → delivered (to run `run_id`). */
  state: z.enum(STEER_STATES),
  run_id: z.number().int().min(0).nullable(),
});

/** `GET /api/steer`: every message, oldest first; files that could not be read, by name. */
export const steerListBodySchema = z.strictObject({
  messages: z.array(steerMessageSchema),
  corrupt: z.array(z.strictObject({ file: z.string(), error: z.string() })),
});

/** `POST /api/steer` body; the text is trimmed and limited (STEER_MAX_BYTES) by core. */
export const steerPostBodySchema = z.strictObject({ message: z.string() });

/** `DELETE /api/steer/:id`: what was removed. */
export const steerDeleteBodySchema = z.strictObject({ deleted: z.string() });

export type SteerListBody = z.output<typeof steerListBodySchema>;
export type SteerMessageBody = z.output<typeof steerMessageSchema>;
