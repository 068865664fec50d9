import { createMockBackend } from '@weft/backend-mock'
import { createRuntime } from '@weft/core'
import { startOtlpReceiver } from '@weft/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { otelOptionsFromEnv, plugin } from '../src/index.js'

const saved = { ...process.env }
afterEach(() => {
  for (const k of Object.keys(process.env)) if (k.startsWith('OTEL_')) delete process.env[k]
  Object.assign(process.env, saved)
})

describe('the standard OTEL_* variables', () => {
  it('switch tracing on and configure it the way OpenTelemetry SDKs read them', () => {
    expect(otelOptionsFromEnv({})).toBeUndefined()
    expect(otelOptionsFromEnv({ OTEL_SERVICE_NAME: 'x' })).toBeUndefined()
    expect(otelOptionsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toEqual({
      endpoint: 'http://c:4318',
    })
    expect(
      otelOptionsFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_SERVICE_NAME: 'weft-prod',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%3D,other = 2',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_METRIC_EXPORT_INTERVAL: '5000',
      }),
    ).toEqual({
      endpoint: 'http://c:4318',
      serviceName: 'weft-prod',
      headers: { 'x-api-key': 'abc=', other: '2' },
      resourceAttributes: { 'deployment.environment.name': 'prod' },
      metrics: false,
      metricIntervalMs: 5000,
    })
    expect(otelOptionsFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toEqual({
      tracesEndpoint: 'http://c:4318/v1/traces',
    })
    expect(
      otelOptionsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }),
    ).toBeUndefined()
    expect(
      otelOptionsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }),
    ).toBeUndefined()
  })

  it('plugins: [@weft/otel] gives each runtime a sink configured from them', async () => {
    const receiver = await startOtlpReceiver()
    try {
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url
      process.env.OTEL_SERVICE_NAME = 'weft-plugin-test'
      const runtime = createRuntime({ plugins: [plugin], backends: [createMockBackend()] })
      const run = await runtime.start({
        workflow: { weft: 1, name: 'p', defaults: { backend: 'mock' }, tasks: { a: {} } },
      })
      await runtime.wait(run.id)
      await runtime.close()
      const span = receiver.spans.find((s) => s.name === 'weft.run p')
      expect(span?.resource['service.name']).toBe('weft-plugin-test')
    } finally {
      await receiver.close()
    }
  })
})
