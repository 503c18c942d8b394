/**
 * Finished spans and their OTLP/HTTP JSON encoding (an `ExportTraceServiceRequest`): ids as hex,
 * times as nanosecond strings, attributes as typed values.
 */
import { VERSION } from '@sylk/core';
import { otlpResource } from '../metrics/otlp.js';

export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue>;

/** OTLP span kinds used here. */
export const SpanKind = { Internal: 1, Client: 3 } as const;

export interface SpanEvent {
  name: string;
  timeNs: bigint;
  attributes: Attributes;
}

export interface FinishedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Attributes;
  events: SpanEvent[];
  /** Absent: unset (success); a short code when the work failed. */
  error?: string;
}

function anyValue(v: AttributeValue) {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
}

const attributes = (a: Attributes) => Object.entries(a).map(([key, value]) => ({ key, value: anyValue(value) }));

/**
 * Spans as one OTLP `ExportTraceServiceRequest` (JSON mapping).
 */
export function otlpTraceBody(spans: readonly FinishedSpan[], serviceName: string) {
  return {
    resourceSpans: [
      {
        resource: otlpResource(serviceName),
        scopeSpans: [
          {
            scope: { name: 'sylkd', version: VERSION },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId !== undefined ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: String(s.startNs),
              endTimeUnixNano: String(s.endNs),
              attributes: attributes(s.attributes),
              events: s.events.map((e) => ({
                name: e.name,
                timeUnixNano: String(e.timeNs),
                attributes: attributes(e.attributes),
              })),
              status: s.error === undefined ? { code: 0 } : { code: 2, message: s.error },
            })),
          },
        ],
      },
    ],
  };
}
