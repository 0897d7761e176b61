#!/usr/bin/python3
"""The `stats` fields documented in docs/<element>.md are the ones the
element reports, with the documented types.

For every element of this project's plug-ins that has a `stats` property,
the table under the page's "## Stats" heading is read: its first column
names fields in backquotes (`a`, `b`, or `x-min/avg/max`), its second
column (when it has a type column) their type.  A field the element
reports that the page does not name, a documented field the element does
not report, or a type that does not match, fails the test.

usage: docs_stats.py DOCS_DIR
"""
import os
import re
import sys

import gi
gi.require_version('Gst', '1.0')
from gi.repository import GObject, Gst  # noqa: E402

TYPE_NAMES = {
    'guint64': {'guint64', 'uint64'},
    'gint64': {'gint64', 'int64'},
    'guint': {'guint', 'uint'},
    'gint': {'gint', 'int'},
    'gdouble': {'gdouble', 'double'},
    'gboolean': {'gboolean', 'boolean'},
    'gchararray': {'string', 'gchararray'},
    'GstValueArray': {'array', 'gstvaluearray'},
    'GstStructure': {'structure', 'gststructure'},
}


def doc_fields(path):
    """{field: type or None} from the Stats table of @path."""
    text = open(path).read()
    m = re.search(r'^## Stat[a-z]*\n(.*?)(?=^## |\Z)', text, re.S | re.M)
    if not m:
        return None
    fields = {}
    typed = None
    for line in m.group(1).splitlines():
        if not line.startswith('|') or set(line) <= set('|-: '):
            continue
        cells = [c.strip() for c in line.strip('|').split('|')]
        if cells[0] == 'field':
            typed = len(cells) > 2 and cells[1] == 'type'
            continue
        if typed is None:
            continue
        doc_type = cells[1].split()[0].strip('`').lower() if typed else None
        for name in re.findall(r'`([a-z0-9/-]+)`', cells[0]):
            if '/' in name:
                # x-min/avg/max
                base, first, *rest = re.match(
                    r'(.*-)([a-z0-9]+)((?:/[a-z0-9]+)*)$', name).groups()
                for suffix in [first] + rest[0].split('/')[1:]:
                    fields[base + suffix] = doc_type
            else:
                fields[name] = doc_type
    return fields


def main():
    docs = sys.argv[1]
    Gst.init(None)
    failures = []
    checked = 0
    reg = Gst.Registry.get()
    for plugin in reg.get_plugin_list():
        if not plugin.get_name().startswith('livestream'):
            continue
        for feat in reg.get_feature_list_by_plugin(plugin.get_name()):
            if not isinstance(feat, Gst.ElementFactory):
                continue
            name = feat.get_name()
            el = feat.create(None)
            if el.find_property('stats') is None:
                continue
            st = el.get_property('stats')
            page = os.path.join(docs, name + '.md')
            documented = doc_fields(page) if os.path.exists(page) else None
            if documented is None:
                failures.append('%s: no "## Stats" table in %s' % (name, page))
                continue
            checked += 1
            reported = {}
            for i in range(st.n_fields()):
                field = st.nth_field_name(i)
                reported[field] = GObject.type_name(st.get_field_type(field))
            for field, gtype in reported.items():
                if field not in documented:
                    failures.append('%s: stats field %s (%s) is not documented'
                                    % (name, field, gtype))
                    continue
                want = documented[field]
                if want is not None and want not in TYPE_NAMES.get(
                        gtype, {gtype.lower()}):
                    failures.append('%s: %s is %s, documented as %s'
                                    % (name, field, gtype, want))
            for field in documented:
                if field not in reported:
                    failures.append('%s: documented stats field %s is not '
                                    'reported' % (name, field))
    for f in failures:
        print('FAIL', f)
    print('%d elements checked, %d problems' % (checked, len(failures)))
    return 1 if failures or checked == 0 else 0


if __name__ == '__main__':
    sys.exit(main())
