/**
 * XML and newline-delimited JSON bodies are read into values and compared as JSON: two services'
 * spellings of one document are equal, and a missing element or a dropped line is a difference at
 * its own path.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareResponses, compileRules, type HttpSnapshot } from '../../src/parity/index.js';

const rules = compileRules({});
const answer = (contentType: string, body: string): HttpSnapshot => ({
  status: 200,
  headers: { 'content-type': contentType },
  body: Buffer.from(body),
});
const diffs = (l: HttpSnapshot, c: HttpSnapshot) =>
  compareResponses(l, c, rules, undefined, {}).differences.map((d) => [d.kind, d.path]);

/** A feed as a Jinja template writes it: double quotes, indented, CDATA, `<x/>`. */
const jinjaFeed = (durations: boolean) => `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
  <channel>
    <title>Caf&#233; Culture &amp; Co</title>
    <item>
      <title>Episode 1</title>
      <enclosure url="https://cdn.example/1.mp3" length="1024" type="audio/mpeg"/>
      <description><![CDATA[<p>Beans & brews</p>]]></description>
      <itunes:duration>12:30</itunes:duration>
      <itunes:explicit>false</itunes:explicit>
    </item>
    <item>
      <title>Episode 2</title>
      <enclosure url="https://cdn.example/2.mp3" length="2048" type="audio/mpeg"/>
      <description><![CDATA[<p>Roasts</p>]]></description>
      ${durations ? '<itunes:duration>07:05</itunes:duration>' : ''}
      <itunes:explicit>true</itunes:explicit>
    </item>
  </channel>
</rss>
`;

/** The same feed as ElementTree writes it: single quotes, one line, escaped text, `<x />`, attributes in another order. */
const etreeFeed = (durations: boolean) =>
  "<?xml version='1.0' encoding='UTF-8'?>\n" +
  "<rss xmlns:itunes='http://www.itunes.com/dtds/podcast-1.0.dtd' version='2.0'><channel><title>Café Culture &amp; Co</title>" +
  "<item><title>Episode 1</title><enclosure type='audio/mpeg' length='1024' url='https://cdn.example/1.mp3' />" +
  '<description>&lt;p&gt;Beans &amp; brews&lt;/p&gt;</description><itunes:duration>12:30</itunes:duration><itunes:explicit>false</itunes:explicit></item>' +
  "<item><title>Episode 2</title><enclosure type='audio/mpeg' length='2048' url='https://cdn.example/2.mp3' />" +
  `<description>&lt;p&gt;Roasts&lt;/p&gt;</description>${durations ? '<itunes:duration>07:05</itunes:duration>' : ''}` +
  '<itunes:explicit>true</itunes:explicit></item></channel></rss>';

describe('XML bodies', () => {
  test('two spellings of one feed (declaration, quotes, attribute order, `<x/>`, CDATA, entities, indentation) are equal', () => {
    assert.deepEqual(
      diffs(
        answer('application/rss+xml', jinjaFeed(true)),
        answer('application/rss+xml; charset=utf-8', etreeFeed(true)),
      ),
      [],
    );
  });

  test('an element missing from one item is a difference at its path; a changed attribute at its own', () => {
    assert.deepEqual(
      diffs(answer('application/rss+xml', jinjaFeed(true)), answer('application/rss+xml', etreeFeed(false))),
      [['missing', '$.rss.channel.item[1]["itunes:duration"]']],
    );
    const longer = etreeFeed(true).replace("length='2048'", "length='2049'");
    assert.deepEqual(diffs(answer('text/xml', jinjaFeed(true)), answer('text/xml', longer)), [
      ['value', '$.rss.channel.item[1].enclosure["@length"]'],
    ]);
  });

  test('a body that is not well-formed XML, or declares entities, is compared as text', () => {
    const broken = etreeFeed(true).replace('</channel>', '');
    assert.deepEqual(diffs(answer('application/xml', jinjaFeed(true)), answer('application/xml', broken)), [
      ['value', '$body'],
    ]);
    const entities = (v: string) => `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "${v}">]><a>&x;</a>`;
    assert.deepEqual(
      diffs(answer('application/xml', entities('1')), answer('application/xml', entities('2'))).map(([k]) => k),
      ['value'],
    );
  });
});

describe('newline-delimited JSON bodies', () => {
  const rows = [
    { id: 1, title: 'Pilot', duration: 61.5 },
    { id: 2, title: 'Café', duration: 42 },
    { id: 3, title: 'Finale', duration: 3.25 },
  ];
  const sorted = (rs: typeof rows) =>
    rs
      .map((r) => JSON.stringify({ duration: r.duration, id: r.id, title: r.title }, null, 0).replace(/,/g, ', '))
      .join('\n') + '\n';
  const compact = (rs: typeof rows) => rs.map((r) => JSON.stringify(r)).join('\n');

  test('lines written with sorted keys and spaces against compact lines are equal; a dropped last line is missing at its index', () => {
    assert.deepEqual(
      diffs(answer('application/x-ndjson', sorted(rows)), answer('application/x-ndjson', compact(rows))),
      [],
    );
    assert.deepEqual(
      diffs(answer('application/x-ndjson', sorted(rows)), answer('application/x-ndjson', compact(rows.slice(0, 2)))),
      [['missing', '$[2]']],
    );
  });

  test('an export served as application/json, one record per line, is read by its lines; a changed value is at its record', () => {
    const changed = rows.map((r) => (r.id === 2 ? { ...r, duration: 42.5 } : r));
    assert.deepEqual(diffs(answer('application/json', sorted(rows)), answer('application/json', compact(changed))), [
      ['value', '$[1].duration'],
    ]);
  });
});
