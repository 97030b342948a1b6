/**
 * The client side of the ABCI wire, for tests and benches: requests built as
 * generated messages (src/abci/gen) and encoded, responses decoded into
 * generated messages. The server side (src/abci/codec.ts) maps the same
 * messages to the application's types; this is the independent other end.
 *
 * Requests and responses keep the `{ type, value }` shape of the server's
 * AbciRequest / AbciResponse; values are protobuf-es init shapes (requests:
 * plain objects, enums as the generated enum numbers, absent fields zero) and
 * generated messages (responses).
 */
import { fileURLToPath } from 'node:url';
import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { varint } from '../../src/abci/codec.js';
import { RequestSchema, ResponseSchema, type Response } from '../../src/abci/gen/tendermint/abci/types_pb.js';

/** The repository's proto/ tree and the ABCI file in it (for independent decoders: proto-loader, protobufjs). */
export const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));
export const ABCI_PROTO_FILE = 'tendermint/abci/types.proto';

type RequestCase = Exclude<NonNullable<MessageInitShape<typeof RequestSchema>['value']>, { case: undefined }>;
type ResponseCase = Exclude<Response['value'], { case: undefined }>;

/** A `tendermint.abci.Request` to send: its oneof case and the inner message (init shape). */
export type WireRequest = RequestCase extends infer C ? (C extends { case: infer K; value?: infer V } ? { type: K; value: V } : never) : never;
/** A decoded `tendermint.abci.Response`: its oneof case and the inner generated message. */
export type WireResponse = ResponseCase extends infer C ? (C extends { case: infer K; value: infer V } ? { type: K; value: V } : never) : never;

/** Encodes a Request (no length prefix). */
export function encodeRequest(req: WireRequest): Uint8Array {
  return toBinary(RequestSchema, create(RequestSchema, { value: { case: req.type, value: req.value } } as MessageInitShape<typeof RequestSchema>));
}

/** Encodes a Request preceded by its unsigned-varint length (socket framing). */
export function encodeRequestFrame(req: WireRequest): Uint8Array {
  const body = encodeRequest(req);
  return Buffer.concat([varint(body.length), body]);
}

/** Decodes a Response (no length prefix); throws on malformed bytes or an empty oneof. */
export function decodeResponse(buf: Uint8Array): WireResponse {
  const { value } = fromBinary(ResponseSchema, buf);
  if (value.case === undefined) throw new Error('response has no known type');
  return { type: value.case, value: value.value } as WireResponse;
}
