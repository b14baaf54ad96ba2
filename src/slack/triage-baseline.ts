/**
 * A triage decision taken in Slack goes into the plan's baseline file too (when this process can
 * write it), so the next migration starts from it and it is reviewed with the plan like the CLI's.
 * The signature's text comes signed in the button. A text too long for a button is read from the
 * router when the button is clicked: once the decision is in force the router restarts its window
 * and may no longer list it. On a fleet every member of the family's data plane is asked, since a
 * signature is listed only by the members that saw it.
 */
import type { Logger } from '../lib/logger.js';
import type { TriageEntry } from '../parity/signature.js';
import { writeDecision } from '../plan/baseline.js';
import { dataPlaneMembers } from '../plan/data-plane-members.js';
import type { Plan } from '../plan/schema.js';
import { createRouterAdminClient } from '../router/client.js';

/** How long a decision waits for the router to list its signature's text before it is written without, ms. */
const TEXT_WAIT_MS = 5000;
const TEXT_POLL_MS = 250;
/** Signature texts kept at most (the oldest is forgotten first). */
const TEXTS_KEPT = 1000;

export class TriageBaseline {
  private readonly plan: Plan;
  private readonly log: Logger;
  /** Signature texts read when a triage button was clicked, by signature id. */
  private readonly texts = new Map<string, string>();
  /** Lookups under way, so a decision that arrives meanwhile waits for its text. */
  private readonly reading = new Map<string, Promise<void>>();

  constructor(o: { plan: Plan; log: Logger }) {
    this.plan = o.plan;
    this.log = o.log;
  }

  /** Whether decisions are written anywhere (the plan names a baseline file). */
  get enabled(): boolean {
    return this.plan.baselineFile !== undefined;
  }

  /** Reads and keeps signature `id`'s text as the router lists it now. */
  async remember(family: string, id: string): Promise<void> {
    const p = this.textOf(family, id).then(({ text }) => {
      if (text === undefined) return;
      if (this.texts.size >= TEXTS_KEPT) this.texts.delete(this.texts.keys().next().value as string);
      this.texts.set(id, text);
    });
    this.reading.set(id, p);
    try {
      await p;
    } finally {
      if (this.reading.get(id) === p) this.reading.delete(id);
    }
  }

  /** Writes a decision in force into the baseline file; a failure is logged with what to run instead. */
  async keep(family: string, entry: TriageEntry): Promise<void> {
    const file = this.plan.baselineFile;
    if (!file) return;
    try {
      // The text read before the decision (when the button was clicked) is the one to trust; the router is the fallback.
      await this.reading.get(entry.id);
      const text = entry.text ?? this.texts.get(entry.id) ?? (await this.textOnceListed(family, entry.id));
      this.texts.delete(entry.id);
      await writeDecision(file, family, text ? { ...entry, text } : entry);
    } catch (err) {
      this.log.warn(
        { family, signature: entry.id, file, err: (err as Error).message },
        'the triage decision is in force but not in the baseline file; record it with `phoenix parity <decision> --no-migration`',
      );
    }
  }

  /**
   * The signature's text once the router lists it again: a decision in force restarts the
   * router's window, and the signature reappears with the next comparison that shows it.
   */
  private async textOnceListed(family: string, id: string): Promise<string | undefined> {
    const deadline = Date.now() + TEXT_WAIT_MS;
    for (;;) {
      const { text } = await this.textOf(family, id);
      if (text !== undefined || Date.now() >= deadline) return text;
      await new Promise((resolve) => setTimeout(resolve, TEXT_POLL_MS));
    }
  }

  /**
   * The signature's text as the first member of the family's data plane (in the plan's order)
   * that lists it gives it; nothing when none can say. A member that does not answer is passed
   * over: the text is a convenience, and the decision is in force without it.
   */
  private async textOf(family: string, id: string): Promise<{ text?: string }> {
    let urls: string[];
    try {
      urls = dataPlaneMembers(this.plan, family);
    } catch {
      urls = [this.plan.router.adminUrl];
    }
    const texts = await Promise.all(urls.map((url) => this.textOn(url, family, id)));
    const text = texts.find((t) => t !== undefined);
    return text ? { text } : {};
  }

  /** The signature's text as one member lists it. */
  private async textOn(baseUrl: string, family: string, id: string): Promise<string | undefined> {
    const admin = createRouterAdminClient({ baseUrl, token: process.env.PHOENIX_ADMIN_TOKEN, timeoutMs: 5000 });
    try {
      return (await admin.getSignatures(family)).signatures.find((x) => x.id === id)?.text;
    } catch {
      return undefined;
    } finally {
      await admin.close();
    }
  }
}
