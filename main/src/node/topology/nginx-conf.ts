/**
 * nginx.conf for the topology: TLS termination with the self-signed certificate, one server per public
 * origin, each balancing its instances (least_conn; a refused or failing instance is taken out for a
 * few seconds and the request retried on the next — open-source nginx has passive health checks only),
 * and the built renderer with /config.json on the web port. Runs in the foreground with its own prefix,
 * pid and logs, so it never touches the system's nginx.
 */
import type { PublicService, TopologyPlan } from './plan.js';
import { PUBLIC_SERVICES } from './plan.js';

/**
 * The largest request the API takes: a knowledge upload (services/api/src/knowledge/routes.ts, bodyLimit
 * 2 × MAX_UPLOAD_BYTES + 64 KiB: base64 of a 5 MB file). The unit test checks it against the API's.
 */
export const CLIENT_MAX_BODY_BYTES = 2 * 5 * 1024 * 1024 + 64 * 1024;

/**
 * How long nginx waits between two reads from an API instance: a turn's event stream may be quiet for as
 * long as an approval waits for the person (APPROVAL_TIMEOUT_MS, 5 min by default), plus margin.
 */
export const STREAM_READ_TIMEOUT_S = 600;

export interface NginxPaths {
  /** nginx's -p prefix: temp dirs, logs and the pid file live here. */
  prefix: string;
  certFile: string;
  keyFile: string;
  rendererDir: string;
  configJson: string;
  /**
   * The user the workers run as when nginx starts as root (they would be `nobody` otherwise and could
   * not read a private data dir); unset as anyone else, where workers are the invoking user anyway.
   */
  user?: string | undefined;
}

const q = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;

function upstream(plan: TopologyPlan, service: PublicService): string {
  const servers = plan.instances
    .filter((i) => i.service === service)
    .map((i) => `    server 127.0.0.1:${i.port} max_fails=1 fail_timeout=5s;`)
    .join('\n');
  return `  upstream msi_${service} {\n    least_conn;\n${servers}\n    keepalive 16;\n  }`;
}

const PROXY_HEADERS = `      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Real-IP $remote_addr;
      # A request id the client did not send is made here, so one request can be followed in every log.
      proxy_set_header X-Request-Id $msi_request_id;
      proxy_set_header traceparent $http_traceparent;
      proxy_set_header tracestate $http_tracestate;
      # Which instance answered (tests and operators see the balancing).
      add_header X-Upstream $upstream_addr always;
      # The services answer with the request id they were given; nginx's own, once, also on its own
      # error pages (a 502 when every instance failed).
      proxy_hide_header X-Request-Id;
      add_header X-Request-Id $msi_request_id always;
      # Retry a request that never reached an instance on the next one; a POST that did reach one is
      # never sent twice (non_idempotent is not listed).
      proxy_next_upstream error timeout http_502 http_503;
      proxy_next_upstream_tries 3;
      proxy_connect_timeout 2s;`;

function tls(paths: NginxPaths): string {
  return `    ssl_certificate ${q(paths.certFile)};
    ssl_certificate_key ${q(paths.keyFile)};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:msi_tls:1m;`;
}

function serviceServer(plan: TopologyPlan, service: PublicService, paths: NginxPaths): string {
  // The API streams turn events (SSE): no buffering, long reads, so each event reaches the page at once.
  const streaming =
    service === 'api'
      ? `
      proxy_buffering off;
      proxy_cache off;
      proxy_read_timeout ${STREAM_READ_TIMEOUT_S}s;
      proxy_send_timeout ${STREAM_READ_TIMEOUT_S}s;`
      : `
      proxy_read_timeout 60s;`;
  return `  server {
    listen 127.0.0.1:${plan.publicPorts[service]} ssl;
${tls(paths)}
    client_max_body_size ${CLIENT_MAX_BODY_BYTES};
    location / {
      proxy_pass http://msi_${service};
${PROXY_HEADERS}${streaming}
    }
  }`;
}

export function nginxConf(plan: TopologyPlan, paths: NginxPaths): string {
  const p = paths.prefix.replace(/\/+$/, '');
  return `# Written by \`npm run topology\` at every start; edits are lost.
daemon off;
master_process on;
${paths.user ? `user ${paths.user};\n` : ''}
worker_processes 1;
pid ${q(`${p}/nginx.pid`)};
error_log ${q(`${p}/logs/error.log`)} warn;

events {
  worker_connections 1024;
}

http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  # One line per request with its id, trace context and the instance that answered: a turn can be
  # followed from nginx into the services' logs.
  log_format msi '$remote_addr [$time_iso8601] "$request" $status $body_bytes_sent $request_time '
                 'rid=$msi_request_id traceparent="$http_traceparent" upstream=$upstream_addr '
                 'upstream_time=$upstream_response_time host=$http_host';
  access_log ${q(`${p}/logs/access.log`)} msi;
  client_body_temp_path ${q(`${p}/tmp/client_body`)};
  proxy_temp_path ${q(`${p}/tmp/proxy`)};
  fastcgi_temp_path ${q(`${p}/tmp/fastcgi`)};
  uwsgi_temp_path ${q(`${p}/tmp/uwsgi`)};
  scgi_temp_path ${q(`${p}/tmp/scgi`)};
  sendfile on;
  server_tokens off;

  map $http_x_request_id $msi_request_id {
    default $http_x_request_id;
    "" $request_id;
  }

${PUBLIC_SERVICES.map((s) => upstream(plan, s)).join('\n\n')}

  # The renderer (static) and its /config.json: Remote mode on the balanced endpoints.
  server {
    listen 127.0.0.1:${plan.webPort} ssl;
${tls(paths)}
    root ${q(paths.rendererDir)};
    location = /config.json {
      alias ${q(paths.configJson)};
      default_type application/json;
      add_header Cache-Control "no-store" always;
    }
    location = /index.html {
      add_header Cache-Control "no-cache" always;
    }
    location / {
      # The renderer's routes (/c/…, /sign-in, /auth/callback) are the app's own: index.html.
      try_files $uri $uri/ /index.html;
    }
  }

${PUBLIC_SERVICES.map((s) => serviceServer(plan, s, paths)).join('\n\n')}
}
`;
}
