{{- define "platform.labels" -}}
team: {{ .Values.global.team }}
{{- end }}
