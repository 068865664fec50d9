import type { TaskState } from '@weft/core/contracts'
import {
  Background,
  Controls,
  type Edge,
  Handle,
  type Node,
  type NodeProps,
  Position,
  ReactFlow,
} from '@xyflow/react'
import { memo, useMemo } from 'react'
import { formatCost, formatDuration, taskDuration } from '../format.js'
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH } from './layout.js'

type TaskNodeData = { task: TaskState; now: number; selected: boolean }
type TaskNode = Node<TaskNodeData, 'task'>

const TaskNodeView = memo(function TaskNodeView({ data }: NodeProps<TaskNode>) {
  const t = data.task
  return (
    <div
      className={`task-node s-${t.status}${data.selected ? ' selected' : ''}`}
      data-task-id={t.taskId}
      data-status={t.status}
    >
      <Handle type="target" position={Position.Top} />
      <div className="task-node-title">{t.taskId}</div>
      <div className="task-node-meta">
        <span>{t.status}</span>
        {t.attempt > 1 ? <span title="attempts">×{t.attempt}</span> : null}
        <span>{formatDuration(taskDuration(t, data.now))}</span>
        {t.usage?.costUsd !== undefined ? <span>{formatCost(t.usage.costUsd)}</span> : null}
      </div>
      <Handle type="source" position={Position.Bottom} />
    </div>
  )
})

const nodeTypes = { task: TaskNodeView }

/**
 * The run's task graph, laid out by dagre and drawn by React Flow; each node is coloured by its
 * status as the run goes. Clicking (or Enter on) a node selects the task.
 */
export function TaskGraph(props: {
  tasks: TaskState[]
  selected: string | undefined
  onSelect(taskId: string): void
  now: number
  /** The view fits the graph again when this changes (the box was resized, tasks were added). */
  fitKey: string
}) {
  const { tasks, selected, onSelect, now } = props
  // Positions depend only on the graph's shape, not on statuses: nodes do not jump as the run goes.
  // A map item hangs below the task it was mapped from.
  const deps = (t: TaskState) => (t.parent !== undefined ? [...t.needs, t.parent] : t.needs)
  const shape = tasks.map((t) => `${t.taskId}<${deps(t).join(',')}`).join('|')
  // biome-ignore lint/correctness/useExhaustiveDependencies: `shape` stands for `tasks`' structure
  const positions = useMemo(
    () => layoutGraph(tasks.map((t) => ({ taskId: t.taskId, needs: deps(t) }))),
    [shape],
  )
  const nodes: TaskNode[] = tasks.map((t) => ({
    id: t.taskId,
    type: 'task',
    position: positions.get(t.taskId) ?? { x: 0, y: 0 },
    data: { task: t, now, selected: t.taskId === selected },
    ariaLabel: `task ${t.taskId}: ${t.status}`,
    // Fixed dimensions: React Flow shows a node at once instead of waiting to measure it.
    width: NODE_WIDTH,
    height: NODE_HEIGHT,
    connectable: false,
    draggable: false,
  }))
  const ids = new Set(tasks.map((t) => t.taskId))
  const edges: Edge[] = tasks.flatMap((t) =>
    deps(t)
      .filter((n) => ids.has(n))
      .map((n) => ({
        id: `${n}->${t.taskId}`,
        source: n,
        target: t.taskId,
        animated: t.status === 'running' || t.status === 'queued',
        className: `edge-${t.status}`,
      })),
  )
  return (
    <section className="graph" aria-label="Task graph">
      <ReactFlow
        key={`${props.fitKey}:${tasks.length}`}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView
        fitViewOptions={{ padding: 0.15, maxZoom: 1.2 }}
        minZoom={0.2}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable
        onNodeClick={(_e, node) => onSelect(node.id)}
      >
        <Background gap={20} size={1} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </section>
  )
}
