/**
 * Who may act on a Slack button: its value must carry a valid signature and name a family of the
 * plan, and the person who clicked must be one of the step's approvers, by Slack id or by email
 * (looked up through Slack once).
 */
import type { WebClient } from '@slack/web-api';
import type { FamilyPlan, Plan } from '../plan/schema.js';
import { migrationWorkflowId } from '../workflows/messages.js';
import { decodeButtonValue, type ButtonValue } from './blocks.js';

/** A checked click; the reason is safe to show the user. */
export type Authorized = { ok: true; button: ButtonValue; approver: string } | { ok: false; reason: string };

export class Approvers {
  private readonly web: WebClient;
  private readonly buttonSecret: string;
  private readonly families: Map<string, FamilyPlan>;
  private readonly emailToId = new Map<string, string | null>();

  constructor(o: { web: WebClient; plan: Plan; buttonSecret: string }) {
    this.web = o.web;
    this.buttonSecret = o.buttonSecret;
    this.families = new Map(o.plan.families.map((f) => [f.name, f]));
  }

  /** Checks a button value and the clicking user. */
  async authorize(raw: string, userId: string): Promise<Authorized> {
    const button = decodeButtonValue(raw, this.buttonSecret);
    if (!button || button.workflowId !== migrationWorkflowId(button.family))
      return { ok: false, reason: 'this button was altered; nothing was done' };
    const family = this.families.get(button.family);
    if (!family) return { ok: false, reason: `family "${button.family}" is not in this receiver's plan` };
    const approver = await this.approverFor(family, button.step, userId);
    if (!approver) return { ok: false, reason: `you are not an approver of ${button.step} for ${button.family}` };
    return { ok: true, button, approver };
  }

  /** The plan's approver entry (a Slack id or an email) that this Slack user is, if any. */
  private async approverFor(family: FamilyPlan, step: string, userId: string): Promise<string | undefined> {
    const manual = step.startsWith('decommission:')
      ? family.decommission.manual.find((m) => `decommission:${m.id}` === step)
      : undefined;
    const allowed = manual ? [manual.owner] : family.approval.approvers;
    if (allowed.includes(userId)) return userId;
    for (const a of allowed) if (a.includes('@') && (await this.idOfEmail(a)) === userId) return a;
    return undefined;
  }

  private async idOfEmail(email: string): Promise<string | null> {
    if (!this.emailToId.has(email)) {
      try {
        const r = await this.web.users.lookupByEmail({ email });
        this.emailToId.set(email, r.user?.id ?? null);
      } catch {
        return null;
      }
    }
    return this.emailToId.get(email) ?? null;
  }
}
