# Varnish 7.1 (Debian 12 `varnish`) edge in front of a dashlivesink origin
# (its embedded server, http-port) for low-latency DASH and HLS.
#
#   varnishd -a :6081 -f /etc/varnish/dashlivesink-edge.vcl -s malloc,512m
#
# Each viewer streamed a segment in progress holds a worker thread while it
# is delivered: raise thread_pool_max (default 5000 per pool, 2 pools) for
# more viewers per edge.  Set the origin's utc-timing-url to a clock the
# viewers reach through the edge (e.g. /time).
#
# Set the origin below.  What this edge does (docs/dashlivesink.md, "CDN"):
# - keeps each answer as long as the origin's Cache-Control says
#   (manifests half a segment, segments for as long as the origin keeps
#   them), so an edge asks the origin for each manifest at most once per
#   half segment and for each segment once, whatever its audience;
# - collapses simultaneous misses into one origin request (Varnish's
#   waiting list) and streams a segment that the origin is still writing
#   (chunked) to every client that asks for it meanwhile, as its chunks
#   arrive (beresp.do_stream);
# - never keeps a failed answer: a 404 (a segment asked for too early) is
#   not cached and does not turn the URL into a pass for two minutes (the
#   built-in VCL's hit-for-miss would send every viewer of that segment to
#   the origin);
# - a segment whose origin response ends without its last chunk (the
#   origin abandoned it) is a failed fetch: not cached, clients see an
#   incomplete response.
vcl 4.1;

import std;

backend origin {
    .host = "127.0.0.1";
    .port = "8080";
    .connect_timeout = 2s;
    # the origin holds a request for a segment that is announced but not
    # started (up to two segment durations) and an LL-HLS blocking reload
    # (up to three target durations)
    .first_byte_timeout = 30s;
    # chunks of a segment in progress come every chunk-duration
    .between_bytes_timeout = 10s;
}

sub vcl_recv {
    if (req.method == "PURGE") {
        return (synth(405));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # the origin's clock (UTCTiming) and its metrics: never from a cache
    if (req.url ~ "^/(time|metrics)(\?.*)?$") {
        return (pass);
    }
    unset req.http.Cookie;
    unset req.http.Authorization;
    # DASH and the media never use the query: one object per file.  HLS
    # playlists keep it (LL-HLS delivery directives: _HLS_msn, _HLS_part,
    # _HLS_skip), sorted so that equal directives share an object.
    if (req.url ~ "\.m3u8(\?|$)") {
        set req.url = std.querysort(req.url);
    } else {
        set req.url = regsub(req.url, "\?.*$", "");
    }
    return (hash);
}

sub vcl_hash {
    # every edge name and alias shares one object per URL
    hash_data(req.url);
    return (lookup);
}

sub vcl_backend_response {
    # stream what arrives to every client of the object (the default,
    # said here because low latency depends on it)
    set beresp.do_stream = true;
    if (beresp.status >= 400) {
        # not cached, and no hit-for-miss: the next request asks again
        # and simultaneous ones still wait for a single fetch
        set beresp.ttl = 0s;
        set beresp.grace = 0s;
        set beresp.keep = 0s;
        return (deliver);
    }
    if (bereq.url ~ "\.(mpd|m3u8)(\?|$)") {
        # a stale manifest is no use to a low-latency player
        set beresp.grace = 0s;
        set beresp.keep = 0s;
    }
    # TTLs come from the origin's Cache-Control (the built-in VCL follows)
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
