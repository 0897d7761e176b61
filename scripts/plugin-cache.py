#!/usr/bin/python3
"""Write the plugin cache (docs/gst_plugins_cache.json) from the built plug-in.

The format follows GStreamer's own gst_plugins_cache.json (as produced by
gst-hotdoc-plugins-scanner), which is not packaged in Debian.

usage: plugin-cache.py OUTPUT.json PLUGIN_SO... [--check]
Every plug-in given is one top-level entry, as in GStreamer's own cache.
With --check, exit 1 (printing a diff summary) when OUTPUT.json differs.
"""
import json
import sys

import gi
gi.require_version('Gst', '1.0')
from gi.repository import GObject, Gst  # noqa: E402


def value_str(v):
    if v is None:
        return 'NULL'
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, float):
        return '%g' % v
    if isinstance(v, GObject.GFlags):
        return '+'.join(v.value_nicks) if int(v) else '(none)'
    if isinstance(v, GObject.GEnum):
        return v.value_nick
    if isinstance(v, Gst.Structure):
        return v.to_string()
    return str(v)


def prop_entry(pspec, obj, types):
    e = {
        'blurb': pspec.blurb,
        'conditionally-available': False,
        'construct': bool(pspec.flags & GObject.ParamFlags.CONSTRUCT),
        'construct-only': bool(pspec.flags & GObject.ParamFlags.CONSTRUCT_ONLY),
        'controllable': bool(pspec.flags & Gst.PARAM_CONTROLLABLE),
        'mutable': 'null',
        'readable': bool(pspec.flags & GObject.ParamFlags.READABLE),
        'type': pspec.value_type.name,
        'writable': bool(pspec.flags & GObject.ParamFlags.WRITABLE),
    }
    f = pspec.flags
    if f & Gst.PARAM_MUTABLE_PLAYING:
        e['mutable'] = 'playing'
    elif f & Gst.PARAM_MUTABLE_PAUSED:
        e['mutable'] = 'paused'
    elif f & Gst.PARAM_MUTABLE_READY:
        e['mutable'] = 'ready'
    if hasattr(pspec, 'minimum') and hasattr(pspec, 'maximum'):
        e['min'] = value_str(pspec.minimum)
        e['max'] = value_str(pspec.maximum)
    default = getattr(pspec, 'default_value', None)
    if hasattr(pspec, 'enum_class'):
        types[pspec.value_type.name] = {
            'kind': 'enum',
            'values': [{'desc': ev.value_name, 'name': ev.value_nick, 'value': str(int(ev))}
                       for _, ev in sorted(pspec.enum_class.__enum_values__.items())],
        }
    elif hasattr(pspec, 'flags_class'):
        types[pspec.value_type.name] = {
            'kind': 'flags',
            'values': [{'desc': fv.first_value_name, 'name': fv.first_value_nick, 'value': str(int(fv))}
                       for _, fv in sorted(pspec.flags_class.__flags_values__.items())],
        }
    if pspec.value_type.is_a(GObject.TYPE_BOXED) or pspec.value_type.is_a(GObject.TYPE_OBJECT):
        default = None
    e['default'] = value_str(default)
    return e


def pad_templates(factory):
    out = {}
    for t in factory.get_static_pad_templates():
        direction = {Gst.PadDirection.SRC: 'src', Gst.PadDirection.SINK: 'sink'}.get(
            t.direction, 'unknown')
        presence = {Gst.PadPresence.ALWAYS: 'always', Gst.PadPresence.SOMETIMES: 'sometimes',
                    Gst.PadPresence.REQUEST: 'request'}[t.presence]
        out[t.name_template] = {
            'caps': t.get_caps().to_string().replace('; ', ';\n') + '\n',
            'direction': direction,
            'presence': presence,
        }
    return out


def signals(gtype, stop_type):
    out = {}
    for sid in GObject.signal_list_ids(gtype):
        q = GObject.signal_query(sid)
        out[q.signal_name] = {
            'args': [{'name': 'arg%d' % i, 'type': p.name} for i, p in enumerate(q.param_types)],
            'return-type': q.return_type.name,
            'when': 'last' if q.signal_flags & GObject.SignalFlags.RUN_LAST else 'first',
        }
        if q.signal_flags & GObject.SignalFlags.ACTION:
            out[q.signal_name]['action'] = True
    return out


def plugin_entry(so):
    plugin = Gst.Plugin.load_file(so)
    reg = Gst.Registry.get()
    reg.add_plugin(plugin)
    types = {}
    elements = {}
    for feat in sorted(reg.get_feature_list_by_plugin(plugin.get_name()), key=lambda f: f.get_name()):
        if not isinstance(feat, Gst.ElementFactory):
            continue
        factory = feat.load()
        obj = factory.create(None)
        gtype = type(obj).__gtype__
        hierarchy = []
        t = gtype
        while t.name not in ('invalid', 'void') and len(hierarchy) < 32:
            hierarchy.append(t.name)
            t = t.parent
        props = {}
        for pspec in sorted(obj.list_properties(), key=lambda p: p.name):
            if pspec.owner_type != gtype:
                continue
            props[pspec.name] = prop_entry(pspec, obj, types)
        interfaces = [i.name for i in gtype.interfaces]
        el = {
            'author': factory.get_metadata('author'),
            'description': factory.get_metadata('description'),
            'hierarchy': hierarchy,
            'klass': factory.get_metadata('klass'),
            'long-name': factory.get_metadata('long-name'),
            'pad-templates': pad_templates(factory),
            'properties': props,
            'rank': {0: 'none', 64: 'marginal', 128: 'secondary', 256: 'primary'}.get(factory.get_rank(), str(factory.get_rank())),
            'signals': signals(gtype, None),
        }
        if interfaces:
            el['interfaces'] = interfaces
        elements[feat.get_name()] = el
    return plugin.get_name(), len(elements), {
        'description': plugin.get_description(),
        'elements': elements,
        'filename': 'gst' + plugin.get_name(),
        'license': plugin.get_license(),
        'other-types': types,
        'package': plugin.get_package(),
        'source': plugin.get_source(),
        'tracers': {},
        'url': plugin.get_origin(),
    }


def main():
    args = [a for a in sys.argv[1:] if a != '--check']
    check = '--check' in sys.argv[1:]
    output, sos = args[0], args[1:]
    Gst.init(None)
    cache = {}
    n_elements = 0
    for so in sos:
        name, n, entry = plugin_entry(so)
        cache[name] = entry
        n_elements += n
    text = json.dumps(cache, indent=4, sort_keys=True) + '\n'
    if check:
        try:
            old = open(output).read()
        except FileNotFoundError:
            old = ''
        if old != text:
            print('%s is out of date: run scripts/update-plugin-cache.sh' % output)
            return 1
        print('plugin cache up to date (%d plug-ins, %d elements)' % (len(cache), n_elements))
        return 0
    with open(output, 'w') as f:
        f.write(text)
    print('wrote %s (%d plug-ins, %d elements)' % (output, len(cache), n_elements))
    return 0


if __name__ == '__main__':
    sys.exit(main())
