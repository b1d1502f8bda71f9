/**
 * One INATRADE callback, handled exactly once: the delivery id is recorded in the transaction of
 * its effect, so a retried delivery (same `x-inatrade-delivery`) finds it and changes nothing,
 * and a delivery whose effect failed left no record and is applied when INATRADE retries.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { AppError } from '../../errors/app-error.ts'
import type { LicenceOptions } from './document.ts'
import { applyInatradeReport, type ApplyOutcome } from './inatrade-status.ts'
import type { InatradeCallback } from './inatrade-schemas.ts'

export type CallbackOutcome = ApplyOutcome | 'duplicate_delivery'

export function unknownApplication(): AppError {
  return new AppError('NOT_FOUND', {
    detail: { en: 'No permit was forwarded under this INATRADE application id.', id: 'Tidak ada permohonan yang diteruskan dengan id aplikasi INATRADE ini.' },
  })
}

export async function handleInatradeCallback(db: Kysely<Database>, deliveryId: string, event: InatradeCallback, licence: LicenceOptions): Promise<CallbackOutcome> {
  return db.transaction().execute(async (trx) => {
    // Locked first, before the delivery row's foreign key takes a share lock on it: two writers
    // that each held that share lock and then asked for the update lock (two callbacks of one
    // permit, a callback and a look-up) would deadlock. Concurrent deliveries queue here instead.
    const permit = await trx.selectFrom('permits').select(['id', 'reference_number']).where('inatrade_id', '=', event.inatradeId).forUpdate().executeTakeFirst()
    // Not stored: the forwarding may still be committing; INATRADE's retry (or the reconciliation) will find it.
    if (!permit || permit.reference_number !== event.referenceNumber) throw unknownApplication()
    // A concurrent delivery of the same id waited on the permit's lock: it finds this row.
    const claimed = await trx
      .insertInto('inatrade_callback_deliveries')
      .values({ delivery_id: deliveryId, permit_id: permit.id, inatrade_id: event.inatradeId, status: event.status, outcome: 'applied' })
      .onConflict((oc) => oc.column('delivery_id').doNothing())
      .returning('delivery_id')
      .executeTakeFirst()
    if (!claimed) return 'duplicate_delivery'
    const result = await applyInatradeReport(
      trx,
      permit.id,
      { status: event.status, occurredAt: event.occurredAt, reason: event.reason, licence: event.licence },
      { kind: 'callback', deliveryId },
      licence,
    )
    if (result.outcome !== 'applied') {
      await trx.updateTable('inatrade_callback_deliveries').set({ outcome: result.outcome }).where('delivery_id', '=', deliveryId).execute()
    }
    return result.outcome
  })
}
