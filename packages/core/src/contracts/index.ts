// The contracts live in @weft/spec; this entry stays for code that imported them from core.
export * from '@weft/spec'
