/** The bodies of the console's pages, from what the API answered. */
import type { Language } from '../../errors/language.ts'
import { html, type SafeHtml } from '../../http/html.ts'
import { consoleTexts } from './texts.ts'
import { csrfField, table, when } from './views.ts'

type Json = Record<string, unknown>
const list = (value: unknown) => ((value as { items?: Json[] } | undefined)?.items ?? []) as Json[]

export function overviewBody(language: Language, data: { readiness: Json; registrations: Json; deadLetters: Json; compliance: Json }): SafeHtml {
  const t = consoleTexts(language)
  const upstreams = Object.entries((data.readiness.upstreams ?? {}) as Record<string, string>)
  const database = (data.readiness.database ?? {}) as { status?: string; latencyMs?: number }
  const count = (value: Json, href: string, label: string) => {
    const items = list(value)
    return html`<section><h2>${label}</h2><a class="count" href="${href}">${items.length}${(value as { next?: unknown }).next ? '+' : ''}</a></section>`
  }
  return html`<div class="row">
${count(data.registrations, '/console/registrations', t.waitingRegistrations)}
${count(data.deadLetters, '/console/jobs', t.deadLetters)}
${count(data.compliance, '/console/compliance', t.sanctioned)}
</div>
<section><h2>${t.upstreams}</h2><dl>
<dt>${t.database}</dt><dd><span class="badge ${database.status === 'up' ? 'good' : 'bad'}">${database.status ?? '?'}</span> ${database.latencyMs ?? ''} ms</dd>
${upstreams.map(([name, state]) => html`<dt>${name.toUpperCase()}</dt><dd><span class="badge ${state === 'closed' ? 'good' : 'bad'}">${t.circuit[state] ?? state}</span></dd>`)}
</dl></section>`
}

export function registrationsBody(language: Language, page: Json, status: string): SafeHtml {
  const t = consoleTexts(language)
  const rows = list(page).map((item) => [
    html`<a href="/console/registrations/${item.trackingNumber}">${item.trackingNumber}</a>`,
    html`${item.organisationName}<br><small>${item.nib ?? ''}</small>`,
    html`${item.applicantName}`,
    html`${when(item.submittedAt as string, language)}`,
    html`<span class="badge">${item.status}</span>`,
  ])
  const filters = ['pending_review', 'approved', 'rejected', 'refused'].map((value) =>
    value === status ? html`<strong>${value}</strong>` : html`<a href="/console/registrations?status=${value}">${value}</a>`,
  )
  const next = typeof page.next === 'string' ? new URL(page.next, 'http://x').searchParams.get('cursor') : null
  return html`<section><p>${filters.map((filter) => html`${filter} `)}</p>
${table([t.trackingNumber, t.organisation, t.applicant, t.submittedAt, t.status], rows, t)}
${next ? html`<p><a href="/console/registrations?status=${status}&amp;cursor=${next}">${t.next}</a></p>` : html``}</section>`
}

export function registrationBody(language: Language, registration: Json, csrf: string): SafeHtml {
  const t = consoleTexts(language)
  const form = (registration.form ?? {}) as Json
  const applicant = (form.applicant ?? {}) as Json
  const address = (form.address ?? {}) as Json
  const attorney = registration.powerOfAttorney as { fileName?: string; sizeBytes?: number } | null
  const checks = (registration.checks ?? []) as Json[]
  const tracking = String(registration.trackingNumber)
  const pending = registration.status === 'pending_review'
  return html`<div class="row"><section><h2>${t.organisation}</h2><dl>
<dt>${t.status}</dt><dd><span class="badge">${registration.status}</span></dd>
<dt>NIB</dt><dd>${form.nib ?? '–'}</dd><dt>NPWP</dt><dd>${form.npwp ?? '–'}</dd>
<dt>${t.organisation}</dt><dd>${form.organisationName}</dd>
<dt>Address</dt><dd>${[address.street, address.city, address.province, address.postalCode].filter(Boolean).join(', ')}</dd>
<dt>${t.applicant}</dt><dd>${applicant.fullName} (${applicant.position})</dd>
<dt>${t.submittedAt}</dt><dd>${when(registration.submittedAt as string, language)}</dd>
</dl></section>
<section><h2>${t.checks}</h2>${table(['check', 'result'], checks.map((check) => [html`${check.step}`, html`<span class="badge ${check.status === 'passed' ? 'good' : 'bad'}">${check.status}</span> ${check.reason ?? ''}`]), t)}</section></div>
<section><h2>${t.powerOfAttorney}</h2>
${attorney
  ? html`<p>${attorney.fileName ?? 'surat-kuasa.pdf'} · ${Math.ceil((attorney.sizeBytes ?? 0) / 1024)} KiB · <a href="/console/registrations/${tracking}/power-of-attorney" target="_blank" rel="noopener">${t.openDocument}</a></p>
<iframe title="${t.powerOfAttorney}" src="/console/registrations/${tracking}/power-of-attorney" style="width:100%;height:28rem;border:1px solid #e1e6ec"></iframe>`
  : html`<p>${t.none}</p>`}
</section>
${pending
  ? html`<div class="row"><section><h2>${t.approve}</h2><form method="post" action="/console/registrations/${tracking}/approve">${csrfField(csrf)}<button class="action" type="submit">${t.approve}</button></form></section>
<section><h2>${t.reject}</h2><form method="post" action="/console/registrations/${tracking}/reject">${csrfField(csrf)}<label for="reason">${t.reason}</label><textarea id="reason" name="reason" required minlength="5" maxlength="1000" rows="3"></textarea><button class="action danger" type="submit">${t.reject}</button></form></section></div>`
  : html``}`
}

export function jobsBody(language: Language, page: Json, csrf: string): SafeHtml {
  const t = consoleTexts(language)
  const rows = list(page).map((job) => [
    html`<code>${job.queue}</code>`,
    html`${Object.entries((job.data ?? {}) as Json).map(([name, value]) => html`${name}: ${value}<br>`)}`,
    html`${job.attempt}/${job.maxAttempts}`,
    html`<small>${job.lastError ?? ''}</small>`,
    html`${when(job.createdAt as string, language)}`,
    html`<form method="post" action="/console/jobs/${job.id}/retry">${csrfField(csrf)}<button class="action" type="submit" aria-label="${t.retry} ${job.queue} ${job.id}">${t.retry}</button></form>`,
  ])
  return html`<section>${table([t.queue, 'data', t.attempts, t.lastError, t.createdAt, ''], rows, t)}</section>`
}

export function complianceBody(language: Language, page: Json): SafeHtml {
  const t = consoleTexts(language)
  const rows = list(page).map((item) => [
    html`<a href="/console/compliance/${item.organisationId}">${item.name}</a><br><small>${item.nib ?? ''}</small>`,
    html`${item.overdueObligations}`,
    html`${item.activeSanctions}`,
    html`<span class="badge ${item.submissionsBlocked ? 'bad' : ''}">${item.submissionsBlocked ? t.yes : t.no}</span>`,
  ])
  return html`<section>${table([t.organisation, t.overdue, t.activeSanctions, t.blocked], rows, t)}</section>`
}

export function standingBody(language: Language, standing: Json, csrf: string): SafeHtml {
  const t = consoleTexts(language)
  const active = (standing.activeSanctions ?? []) as Json[]
  const name = (sanction: Json) => ((sanction.name as Record<string, string> | undefined)?.[language] ?? sanction.code) as string
  return html`<section><dl><dt>${t.status}</dt><dd><span class="badge ${standing.standing === 'good' ? 'good' : 'bad'}">${standing.standing}</span></dd>
<dt>${t.overdue}</dt><dd>${standing.overdueObligations}</dd><dt>${t.blocked}</dt><dd>${standing.submissionsBlocked ? t.yes : t.no}</dd></dl></section>
<section><h2>${t.activeSanctions}</h2>${table(
    [t.sanction, t.since, t.why, ''],
    active.map((sanction) => [
      html`${name(sanction)}`,
      html`${when(sanction.appliedAt as string, language)}`,
      html`${sanction.reason}`,
      html`<form method="post" action="/console/compliance/${standing.organisationId}/sanctions/${sanction.id}/lift">${csrfField(csrf)}<label for="reason-${sanction.id}">${t.liftReason}</label><input type="text" id="reason-${sanction.id}" name="reason" required minlength="3" maxlength="1000"><button class="action" type="submit">${t.lift}</button></form>`,
    ]),
    t,
  )}</section>`
}

export function permitLookupForm(language: Language, value = ''): SafeHtml {
  const t = consoleTexts(language)
  return html`<section><form method="get" action="/console/permits"><label for="reference">${t.findPermit}</label><input type="text" id="reference" name="reference" value="${value}" required maxlength="40" autocapitalize="characters"><button class="action" type="submit">${t.find}</button></form></section>`
}

export function journeyBody(language: Language, journey: Json): SafeHtml {
  const t = consoleTexts(language)
  const permit = (journey.permit ?? {}) as Json
  const applicant = (permit.applicant ?? {}) as Json
  const licence = permit.licence as { number?: string; validUntil?: string } | null
  const events = (journey.events ?? []) as Json[]
  return html`${permitLookupForm(language, String(permit.referenceNumber ?? ''))}
<section><dl><dt>${t.status}</dt><dd><span class="badge">${permit.status}</span></dd>
<dt>${t.permitType}</dt><dd>${permit.permitType}</dd>
<dt>${t.applicantOrg}</dt><dd>${applicant.name ?? ''} ${applicant.nib ? html`(NIB ${applicant.nib})` : html``}</dd>
<dt>${t.submittedAt}</dt><dd>${when(permit.submittedAt as string, language)}</dd>
${licence ? html`<dt>${t.licence}</dt><dd>${licence.number} → ${licence.validUntil ?? ''}</dd>` : html``}</dl></section>
<section><h2>${t.permitJourney}</h2><ol class="timeline">${events.map((event) => {
    const actor = (event.actor ?? {}) as Json
    const detail = Object.entries((event.detail ?? {}) as Json).filter(([, value]) => typeof value !== 'object' || value === null).map(([name, value]) => `${name}: ${value}`).join(', ')
    const moved = event.statusTo && event.statusTo !== event.statusFrom ? html` · <strong>${event.statusFrom ?? '–'} → ${event.statusTo}</strong>` : html``
    return html`<li><span class="badge ${event.outcome === 'failed' ? 'bad' : event.outcome === 'succeeded' || event.outcome === 'applied' ? 'good' : ''}">${event.outcome}</span> <code>${event.type}</code>${moved}<br><small>${when(event.occurredAt as string, language)} · ${t.actor}: ${actor.type}${actor.id ? ` ${actor.id}` : ''} · ${t.hop}: ${event.hop}${detail ? ` · ${detail}` : ''}</small></li>`
  })}</ol>${journey.truncated ? html`<p>…</p>` : html``}</section>`
}
