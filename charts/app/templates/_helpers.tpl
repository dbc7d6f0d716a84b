{{/*
The release name is the app name: every object is "<release>-<process>".
Slipway checks lengths before it writes a chart; trunc guards hand-edited values.
*/}}
{{- define "slipway.fullname" -}}
{{- .Release.Name | trunc 53 | trimSuffix "-" -}}
{{- end -}}

{{- define "slipway.appName" -}}
{{- .Values.app.name | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels shared by every object; pass (dict "root" $ "process" NAME). */}}
{{- define "slipway.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "slipway.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: slipway
{{- with .root.Values.app.version }}
app.kubernetes.io/version: {{ . | quote }}
{{- end }}
{{- end -}}

{{- define "slipway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "slipway.appName" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .process }}
app.kubernetes.io/component: {{ .process }}
{{- end }}
{{- end -}}

{{/* The image, by digest when the deployer knows it. */}}
{{- define "slipway.image" -}}
{{- $img := .Values.image -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository ($img.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the config vars. */}}
{{- define "slipway.configSecret" -}}
{{- .Values.config.secretName | default (printf "%s-config" (include "slipway.fullname" .)) -}}
{{- end -}}

{{/* Rolls pods when config changes: the deployer's checksum, or one of the values here. */}}
{{- define "slipway.configChecksum" -}}
{{- .Values.config.checksum | default (.Values.config.data | toJson | sha256sum) -}}
{{- end -}}

{{- define "slipway.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets -}}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The container's command: the Procfile line through /bin/sh -c, as Heroku does with bash -c. */}}
{{- define "slipway.command" -}}
command:
  - /bin/sh
  - -c
  - {{ . | quote }}
{{- end -}}

{{- define "slipway.envFrom" -}}
envFrom:
  - secretRef:
      name: {{ include "slipway.configSecret" . }}
{{- end -}}

{{- define "slipway.containerSecurityContext" -}}
securityContext:
  allowPrivilegeEscalation: false
{{- end -}}
