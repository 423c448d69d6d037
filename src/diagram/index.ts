export * from './swimlane.js';
export { DiagramRecorder, QEMU_DIAGRAM_EVENTS, CONSOLE_LINE, type RecorderOptions } from './recorder.js';
export { buildSwimlane, type SwimlaneInput } from './build.js';
export { renderSvg, escapeXml, visibleRows, type SvgOptions, type Row } from './svg.js';
export { pcGuestSite, cpuGuestSite, portIoInstruction } from './pc-site.js';
