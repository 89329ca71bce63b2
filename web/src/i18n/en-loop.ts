// English for the closed loop: dispatch, verification, resolve deadlines and an alert's timeline (merged into en.ts).
import type { zhCNLoop } from './zh-CN-loop';

export const enLoop: typeof zhCNLoop = {
  loop: {
    dispatch: 'Dispatch',
    dispatchTo: 'Dispatch to',
    dispatchPick: 'Type a name, username, cell or department',
    dispatchNote: 'Note for them (optional)',
    dispatchConfirm: 'Dispatch',
    dispatchUnknown: 'Pick a person from the list',
    dispatched: 'Dispatched to {name}',
    verify: 'Verify and close',
    verifyNote: 'Verification note (optional)',
    verifyConfirm: 'Close it',
    sendBack: 'Send back',
    sendBackNote: 'Why (required): what is still to be done?',
    sendBackConfirm: 'Send it back',
    handledBy: 'Handled by {user}, awaiting verification',
    resolveIn: 'handle within {t}',
    resolveOverdue: 'handling overdue {t}',
    department: 'Department: {name}',
    failed: '{action} failed: {message}',
    timeline: 'Timeline',
    openAlert: 'Open the alert',
    col: { inResolve: 'Handled in time', pastResolve: 'Handled late', resolvedInTime: 'Handled in time %' },
  },
  timeline: {
    omitted: 'A long episode: the first 100 and the latest 400 events are shown; {n} between them are left out',
    system: 'System',
    readings: 'Readings around the episode',
    camera: 'Camera events in this cell (types and counts only)',
    noCamera: 'No camera events in this cell at the time',
    incident: 'Incident',
    partOf: 'Part of incident {id}',
  },
  a11y: {
    feedKeys: 'Alerts: arrow keys move; A acknowledge, R resolve, D dispatch, V verify, Enter shows its cell',
  },
  alertEvent: {
    pending: 'Pending', firing: 'Raised', updated: 'Updated', acknowledged: 'Acknowledged', resolved: 'Closed', escalated: 'Escalated',
    suppressed: 'Under maintenance, not notified', unsuppressed: 'Notifications resumed', grouped: 'Grouped into an incident', reopened: 'Reopened',
    dispatched: 'Dispatched', handled: 'Handled', verified: 'Verified and closed', sent_back: 'Sent back',
  },
};
