export {
  COMPONENT_SPECIFICATION_VERSION,
  type Component,
  type ComponentContext,
  type ComponentPorts,
  defineComponent,
  PORT_TYPES,
  type PortSpec,
  type PortType,
} from '@weft/spec'
export { type AgentComponentOptions, builtinComponents, createAgentComponent } from './components/index.js'
export { createDataflow, type Dataflow, type DataflowOptions } from './dataflow.js'
export {
  DataflowError,
  type DataflowErrorCode,
  type DataflowEvent,
  type DataflowEventType,
  EXECUTION_STATES,
  type ExecutionError,
  type ExecutionState,
  RECORDED_EVENT_TYPES,
  TERMINAL_STATES,
} from './events.js'
export { Execution, type ExecutionOptions, type ExecutionSnapshot, type InjectTarget } from './execution.js'
export {
  type DataflowGraph,
  type DataflowGraphInput,
  DataflowGraphSchema,
  DEFAULT_QUEUE_CAPACITY,
  defineGraph,
  GraphEdgeSchema,
  GraphNodeSchema,
  ON_ERROR_ACTIONS,
  type OnErrorAction,
} from './graph-schema.js'
export { type ExecutionMetrics, formatPrometheus, type NodeMetrics } from './metrics.js'
export type { GraphPlan, PlannedEdge, PlannedNode, Topology } from './plan.js'
export { type CompiledExpression, compileExpression } from './sandbox/expression.js'
export {
  DEFAULT_SANDBOX_LIMITS,
  loadQuickJS,
  SandboxError,
  type SandboxErrorKind,
  type SandboxLimits,
} from './sandbox/quickjs.js'
export { analyzeTopology } from './topology.js'
export { type GraphValidation, type ValidateGraphOptions, validateGraph } from './validate.js'
