/**
 * The worker thread behind `WorkflowParser`: parses workflow text (YAML, or JSON read as YAML)
 * so that a large document never blocks the server's event loop. Answers with the value, the
 * diagnostics and the lines of the document's keys (a `Locator` cannot cross threads).
 */
import { parentPort } from 'node:worker_threads'
import { parseWorkflowText } from '@weft/core'
import { lineTable, type ParseReply, type ParseRequest } from './workflow-lines.js'

const port = parentPort
if (!port) throw new Error('parse-worker runs as a worker thread')

// Node prints process warnings as plain text on stderr; here they go to the server's logger.
process.removeAllListeners('warning')
process.on('warning', (w) => port.postMessage({ warning: `${w.name}: ${w.message}` } satisfies ParseReply))

port.on('message', (req: ParseRequest) => {
  let reply: ParseReply
  try {
    const doc = parseWorkflowText(req.text, req.file)
    const errors = doc.diagnostics.some((d) => d.level === 'error')
    reply = {
      id: req.id,
      value: doc.value,
      diagnostics: doc.diagnostics,
      ...(errors ? {} : lineTable(doc.value, doc.locate, req.maxTasks)),
    }
  } catch (err) {
    reply = { id: req.id, failure: (err as Error).message }
  }
  port.postMessage(reply)
})
