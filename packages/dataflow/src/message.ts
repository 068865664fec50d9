import type { EdgeRuntime } from './execution-node.js'

/**
 * A message on an edge. Its id, source and target are derived from the edge when read, so that
 * the hot path allocates one small object per hop and builds no strings.
 */
export class Message {
  constructor(
    readonly edge: EdgeRuntime,
    readonly sequence: number,
    readonly timestamp: number,
    readonly value: unknown,
  ) {}

  /** `<execution>:<edge index>:<sequence>`: unique within the execution, ordered along the edge. */
  get id(): string {
    return `${this.edge.executionId}:${this.edge.index}:${this.sequence}`
  }

  /** `node:port`, or `inject` for a message injected from outside. */
  get source(): string {
    return this.edge.source
  }

  get target(): string {
    return this.edge.target
  }
}
