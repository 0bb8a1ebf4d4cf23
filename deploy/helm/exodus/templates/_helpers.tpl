{{/* Names and labels. */}}
{{- define "exodus.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "exodus.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "exodus.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "exodus.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "worker"). */}}
{{- define "exodus.selectorLabels" -}}
app.kubernetes.io/name: {{ include "exodus.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "exodus.labels" -}}
{{ include "exodus.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ include "exodus.serviceVersion" .root | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: exodus
{{- end -}}

{{/* Labels every pod of the release carries, for the NetworkPolicies. */}}
{{- define "exodus.releaseSelector" -}}
app.kubernetes.io/name: {{ include "exodus.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "exodus.embedded" -}}
{{- if eq .Values.engine "embedded" }}true{{ end -}}
{{- end -}}

{{/* The pipeline's services, each a Deployment of `exodus serve <name>` (not in embedded mode). */}}
{{- define "exodus.consumers" -}}parser worker tally{{- end -}}

{{/* The queue each consumer reads (src/ports QUEUES; deploy/aws/names.ts QUEUE_OF). */}}
{{- define "exodus.queueOf" -}}
{{- get (dict "parser" "intake" "worker" "store" "tally" "tally") . -}}
{{- end -}}

{{/* Image: repository@digest when a digest is given (immutable), else repository:tag (default appVersion). */}}
{{- define "exodus.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "exodus.serviceVersion" -}}
{{- .Values.telemetry.serviceVersion | default .Values.image.tag | default .Chart.AppVersion -}}
{{- end -}}

{{- define "exodus.serviceAccountName" -}}
{{- printf "%s-%s" (include "exodus.fullname" .root) .component -}}
{{- end -}}

{{/* Where the processes send OTLP: the user's backend, else the console, else "" (none). */}}
{{- define "exodus.otlpEndpoint" -}}
{{- if .Values.telemetry.otlp.endpoint -}}
{{- .Values.telemetry.otlp.endpoint -}}
{{- else if and .Values.console.enabled (not (include "exodus.embedded" .)) -}}
{{- printf "http://%s-console:%d" (include "exodus.fullname" .) (int .Values.console.port) -}}
{{- end -}}
{{- end -}}

{{- define "exodus.secretRef" -}}
valueFrom:
  secretKeyRef:
    name: {{ .name }}
    key: {{ .key }}
{{- end -}}

{{/*
The environment of one container: (dict "root" $ "component" "worker" "settings" .Values.worker.settings).
Engines and secrets come from existing Secrets; identity from the downward API.
*/}}
{{- define "exodus.env" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $embedded := include "exodus.embedded" $root -}}
{{- $component := .component -}}
- name: K8S_POD_NAME
  valueFrom: { fieldRef: { fieldPath: metadata.name } }
- name: K8S_NODE_NAME
  valueFrom: { fieldRef: { fieldPath: spec.nodeName } }
- name: K8S_NAMESPACE_NAME
  valueFrom: { fieldRef: { fieldPath: metadata.namespace } }
{{- /*
Kubernetes expands $(VAR) from the variables above; the console shows pod, node and version. The
instance is the pod, except under `exodus up`, which names each of its processes itself (worker-2).
*/}}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "service.version=%s,%sk8s.pod.name=$(K8S_POD_NAME),k8s.node.name=$(K8S_NODE_NAME),k8s.namespace.name=$(K8S_NAMESPACE_NAME)" (include "exodus.serviceVersion" $root) (ternary "" "service.instance.id=$(K8S_POD_NAME)," (eq $embedded "true")) }}{{ range $key, $value := $v.telemetry.resourceAttributes }},{{ $key }}={{ $value }}{{ end }}
- name: EXODUS_DATA
  value: /var/lib/exodus
- name: EXODUS_HOST
  value: 0.0.0.0
{{- if not $embedded }}
{{- if ne $component "console" }}
- name: EXODUS_HEALTH_PORT
  value: {{ $v.healthPort | quote }}
- name: EXODUS_QUEUE
  {{- include "exodus.secretRef" (dict "name" $v.secrets.name "key" $v.secrets.keys.queueUrl) | nindent 2 }}
- name: EXODUS_STORE
  {{- include "exodus.secretRef" (dict "name" $v.secrets.name "key" $v.secrets.keys.storeUrl) | nindent 2 }}
{{- end }}
{{- end }}
{{- if has $component (list "frontend" "embedded") }}
- name: EXODUS_PASS_SECRET
  {{- include "exodus.secretRef" (dict "name" $v.secrets.name "key" $v.secrets.keys.passSecret) | nindent 2 }}
{{- end }}
{{- /* The console does not export to itself; the migration job runs before there is a console. */}}
{{- $otlp := include "exodus.otlpEndpoint" $root }}
{{- $exports := and $otlp (not (has $component (list "console" "migrate"))) }}
{{- $toConsole := and $exports (not $v.telemetry.otlp.endpoint) }}
{{- if or (has $component (list "console" "embedded")) $toConsole }}
- name: EXODUS_ADMIN_TOKEN
  {{- include "exodus.secretRef" (dict "name" $v.secrets.name "key" $v.secrets.keys.adminToken) | nindent 2 }}
{{- end }}
{{- if has $component (list "console" "embedded") }}
- name: EXODUS_CONSOLE_HOST
  value: 0.0.0.0
- name: EXODUS_CONSOLE_PORT
  value: {{ $v.console.port | quote }}
- name: EXODUS_CONSOLE_RETENTION
  value: {{ $v.console.retention | quote }}
- name: EXODUS_CONSOLE_MAX_MB
  value: {{ $v.console.maxMb | quote }}
{{- end }}
{{- if $exports }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $otlp | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ $v.telemetry.otlp.protocol | quote }}
{{- if $toConsole }}
{{- /* The console's receiver takes the admin token as its API key (src/cli/up-console.ts does the same). */}}
- name: OTEL_EXPORTER_OTLP_HEADERS
  value: api-key=$(EXODUS_ADMIN_TOKEN)
{{- else if $v.telemetry.otlp.headersSecret.name }}
- name: OTEL_EXPORTER_OTLP_HEADERS
  {{- include "exodus.secretRef" (dict "name" $v.telemetry.otlp.headersSecret.name "key" $v.telemetry.otlp.headersSecret.key) | nindent 2 }}
{{- end }}
{{- end }}
{{- /* The engines' credentials: not for the console, which reaches no engine. */}}
{{- if ne $component "console" }}
{{- range $v.secretEnv }}
- name: {{ .name }}
  {{- include "exodus.secretRef" (dict "name" .secretName "key" .key) | nindent 2 }}
{{- end }}
{{- end }}
{{- range $name, $value := merge (dict) (.settings | default dict) $v.settings }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* Spread a component's pods across zones, then nodes. */}}
{{- define "exodus.topologySpread" -}}
- maxSkew: 1
  topologyKey: topology.kubernetes.io/zone
  whenUnsatisfiable: {{ .root.Values.topologySpread.zone }}
  labelSelector:
    matchLabels:
      {{- include "exodus.selectorLabels" . | nindent 6 }}
- maxSkew: 1
  topologyKey: kubernetes.io/hostname
  whenUnsatisfiable: {{ .root.Values.topologySpread.node }}
  labelSelector:
    matchLabels:
      {{- include "exodus.selectorLabels" . | nindent 6 }}
{{- end -}}

{{/* Probes on one port: liveness never checks dependencies (/healthz); readiness does (/readyz). */}}
{{- define "exodus.probes" -}}
startupProbe:
  httpGet: { path: /healthz, port: {{ .port }} }
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  httpGet: { path: /healthz, port: {{ .port }} }
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: { path: {{ .readyPath | default "/readyz" }}, port: {{ .port }} }
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end -}}

{{/*
One pod template: (dict "root" $ "component" "worker" "values" .Values.worker "args" (list "serve" "worker")
"ports" (list ...) "probePort" "internal" "readyPath" "/readyz" "dataVolume" "" ).
dataVolume: a volumeClaimTemplate's name for /var/lib/exodus; empty: an emptyDir (the process writes
nothing there that must outlive it: secrets come from Secrets).
*/}}
{{- define "exodus.podTemplate" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
metadata:
  labels:
    {{- include "exodus.labels" . | nindent 4 }}
    {{- if has .component (list "frontend" "parser" "worker" "tally") }}
    exodus.dev/pipeline: "true"
    {{- end }}
spec:
  serviceAccountName: {{ include "exodus.serviceAccountName" . }}
  # No process talks to the Kubernetes API; AWS pod identity mounts its own token.
  automountServiceAccountToken: false
  {{- with $v.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml $v.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: {{ .values.terminationGracePeriodSeconds | default 30 }}
  topologySpreadConstraints:
    {{- include "exodus.topologySpread" . | nindent 4 }}
  {{- with $v.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: {{ .component }}
      image: {{ include "exodus.image" $root }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      args: {{ toJson .args }}
      ports:
        {{- toYaml .ports | nindent 8 }}
      env:
        {{- include "exodus.env" (dict "root" $root "component" .component "settings" .values.settings) | nindent 8 }}
      {{- include "exodus.probes" (dict "port" .probePort "readyPath" .readyPath) | nindent 6 }}
      resources:
        {{- toYaml .values.resources | nindent 8 }}
      securityContext:
        {{- toYaml $v.containerSecurityContext | nindent 8 }}
      volumeMounts:
        - { name: {{ .dataVolume | default "data" }}, mountPath: /var/lib/exodus }
        - { name: tmp, mountPath: /tmp }
  volumes:
    {{- if not .dataVolume }}
    - name: data
      emptyDir: { sizeLimit: 64Mi }
    {{- end }}
    - name: tmp
      emptyDir: { sizeLimit: 64Mi }
{{- end -}}

{{/* The pipeline pod's ports: the public one (frontend) and the internal health/metrics port. */}}
{{- define "exodus.internalPort" -}}
- { name: internal, containerPort: {{ .Values.healthPort }}, protocol: TCP }
{{- end -}}

{{- define "exodus.frontendPodTemplate" -}}
{{- $ports := concat (list (dict "name" "http" "containerPort" 3000 "protocol" "TCP")) (fromYamlArray (include "exodus.internalPort" .)) -}}
{{- include "exodus.podTemplate" (dict "root" . "component" "frontend" "values" .Values.frontend "args" (list "serve" "frontend") "ports" $ports "probePort" "internal") -}}
{{- end -}}
