// The diagnostics API for the CLI and the VS Code layer: run the checks, format, redact.

export { DIAGNOSTIC_CAUSES } from './causes';
export type { DiagnosticCause } from './causes';
export { formatReportMarkdown, formatReportText, reportDocument } from './format';
export { localTime } from './localTime';
export { renderMarkdown } from './reportMarkdown';
export type { Block, ReportDoc, Span, Text } from './reportDoc';
export { redactReport, redactText } from './redact';
export { runDiagnostics } from './run';
export { endpointVerdict } from './types';
export { DEFAULT_DEADLINES } from './types';
export type { CheckArea, CheckStatus, DiagnosticCheck, DiagnosticDeadlines, DiagnosticReport, DiagnosticsInput, EndpointStep, EndpointVerdict, Evidence, EvidenceValue, InProcessSwitchyard } from './types';
export { runDiagnoseCommand } from './command';
export type { DiagnoseCommandOptions } from './command';
