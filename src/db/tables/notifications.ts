/** Tables of notifications and webhooks (migrations/0012_notifications.sql). */
import type { ColumnType, Generated } from 'kysely'

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type Json<T> = ColumnType<T, string, string>
type OptionalJson<T> = ColumnType<T, string | undefined, string>
type Optional<T> = ColumnType<T | null, T | null | undefined, T | null>

export interface LocalisedText {
  en: string
  id: string
}

export type NotificationSubject = 'permit' | 'registration' | 'webhook' | 'compliance'

export interface NotificationsTable {
  /** int8, read as a number (src/db/database.ts). */
  id: Generated<number>
  organisation_id: string
  /** Readers need View on it; null: every member of the organisation. */
  menu_code: string | null
  type: string
  subject_type: NotificationSubject
  subject_id: string
  source: string
  title: Json<LocalisedText>
  body: Json<LocalisedText>
  data: OptionalJson<Record<string, unknown>>
  occurred_at: Timestamp
  created_at: Timestamp
}

export interface NotificationReadMarksTable {
  user_id: string
  read_up_to: number
  updated_at: Timestamp
}

export interface NotificationReadsTable {
  user_id: string
  notification_id: number
  read_at: Timestamp
}

export interface WebhooksTable {
  id: Generated<string>
  organisation_id: string
  url: string
  description: Optional<string>
  event_types: string[]
  enabled: ColumnType<boolean, boolean | undefined, boolean>
  secret_ciphertext: string
  previous_secret_ciphertext: Optional<string>
  previous_secret_expires_at: Optional<Date>
  failing_since: Optional<Date>
  disabled_reason: Optional<string>
  created_by: Optional<string>
  created_at: Timestamp
  updated_at: Timestamp
}

export type WebhookDeliveryState = 'pending' | 'delivered' | 'failed'

export interface WebhookDeliveriesTable {
  id: Generated<string>
  webhook_id: string
  organisation_id: string
  event_type: string
  subject_id: string
  sequence: number
  payload: Json<Record<string, unknown>>
  state: ColumnType<WebhookDeliveryState, WebhookDeliveryState | undefined, WebhookDeliveryState>
  attempts: ColumnType<number, number | undefined, number>
  last_attempt_at: Optional<Date>
  delivered_at: Optional<Date>
  source: string
  created_at: Timestamp
}

export interface WebhookDeliveryAttemptsTable {
  id: Generated<number>
  delivery_id: string
  attempted_at: Timestamp
  status_code: number | null
  latency_ms: number
  outcome: 'delivered' | 'failed'
  error: string | null
  response_excerpt: string | null
}

export interface NotificationTables {
  notifications: NotificationsTable
  notification_read_marks: NotificationReadMarksTable
  notification_reads: NotificationReadsTable
  webhooks: WebhooksTable
  webhook_deliveries: WebhookDeliveriesTable
  webhook_delivery_attempts: WebhookDeliveryAttemptsTable
}
