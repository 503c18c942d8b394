/**
 * The TypeScript shape of schema/config.schema.json. Hand-written: keep it in step with the
 * schema (schema.test.ts checks that DEFAULT_CONFIG has exactly these sections).
 */

type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

interface DaemonConfig {
  log_level: LogLevel;
  log_max_size_mb: number;
  log_max_files: number;
  shutdown_grace_seconds: number;
  backup_interval_hours: number;
  backups_kept: number;
  integrity_check_minutes: number;
}

/** Catalogue overrides for one model; -1 = keep the catalogue value. */
export interface ModelOverride {
  context_window: number;
  max_output_tokens: number;
  input_price: number;
  output_price: number;
  cache_read_price: number;
  cache_write_price: number;
  /** 0 = extended thinking off. */
  thinking_budget_tokens: number;
}

interface SoftLimit {
  /** -1 = unlimited. */
  requests: number;
  /** -1 = unlimited. */
  tokens: number;
  period: 'day' | 'week' | 'month';
  warn_at: number;
}

/** Per-minute limits; 0 = no limit. */
interface RateBucket {
  requests_per_minute: number;
  tokens_per_minute: number;
}

interface RateLimits extends RateBucket {
  warn_at: number;
  /** Requests in flight to the provider at once; 0 = no cap of its own. */
  max_concurrent: number;
  models: Record<string, RateBucket>;
}

interface ProviderConfig {
  enabled: boolean;
  /** Empty = the provider's standard endpoint. */
  base_url: string;
  /** Empty = llm.default_model. */
  default_model: string;
  models: Record<string, ModelOverride>;
  soft_limit: SoftLimit;
  rate_limits: RateLimits;
}

export interface RetryPolicyConfig {
  attempts: number;
  initial_ms: number;
  max_ms: number;
  multiplier: number;
  jitter: number;
}

export interface LlmConfig {
  default_provider: string;
  default_model: string;
  /** Seconds. */
  timeout: number;
  providers: Record<string, ProviderConfig>;
  queue: { pipeline_capacity: number; workers: number };
  stream: {
    chunk_timeout_seconds: number;
    max_duration_seconds: number;
    max_text_bytes: number;
    max_tool_args_bytes: number;
    first_output_timeout_seconds: number;
  };
  retry: {
    transient: RetryPolicyConfig;
    external_rate_limit: RetryPolicyConfig;
    external_degrading: RetryPolicyConfig;
  };
  errors: {
    transient_patterns: string[];
    permanent_patterns: string[];
    user_fixable_patterns: string[];
    rate_limit_statuses: number[];
    degrading_statuses: number[];
  };
  circuit_breaker: {
    consecutive_failures: number;
    failure_rate: number;
    window: number;
    cooldown_seconds: number;
    close_after: number;
  };
}

/** -1 = unlimited. */
export interface BudgetLimit {
  tokens: number;
  usd: number;
}

export interface BudgetsConfig {
  global: BudgetLimit;
  session: BudgetLimit;
  task: BudgetLimit;
  providers: Record<string, BudgetLimit>;
}

export interface ToolsConfig {
  timeout: { base_seconds: number; extend_seconds: number; ceiling_seconds: number };
  env_blocklist: string[];
  shell_metacharacters: string[];
  output: { buffer_bytes: number; head_lines: number; tail_lines: number };
  extra_roots: string[];
  /** 0 = 2 × CPU cores. */
  max_subprocesses: number;
  background: { max_per_session: number };
}

export interface SecurityConfig {
  permissions: { custom_safe_list: string[] };
  /** 0 = wait indefinitely. */
  approvals: { timeout_seconds: number };
  sandbox: SandboxConfig;
  network: NetworkConfig;
  audit: { enabled: boolean; rotate_mb: number; signature_interval: number };
  credentials: { profile_name: string; keychain: boolean };
}

export interface SandboxConfig {
  enabled: boolean;
  /** Refuse commands when the sandbox is unavailable (else run them unsandboxed, with a notice). */
  required: boolean;
  read_only_paths: string[];
  writable_paths: string[];
  /** 0 = no limit. */
  limits: { cpu_seconds: number; memory_mb: number; open_files: number; processes: number };
}

export interface NetworkConfig {
  proxy: boolean;
  allowed_domains: string[];
  host_overrides: Record<string, string>;
}

interface SessionsConfig {
  max_turns: number;
  /** 0 = the model's limit. */
  max_output_tokens: number;
  compaction: { enabled: boolean; threshold: number; model: string; keep_recent_messages: number };
  mention_max_kb: number;
  /** 0 = never unload idle session runtimes. */
  unload_idle_after_seconds: number;
}

/** One MCP server: `command` (stdio) or `url` (streamable HTTP). */
interface McpServerConfig {
  command: string;
  args: string[];
  url: string;
  env: Record<string, string>;
  enabled: boolean;
}

export interface McpConfig {
  servers: Record<string, McpServerConfig>;
  call_timeout_seconds: number;
  /** 0 = never stop idle servers. */
  idle_stop_minutes: number;
  max_result_bytes: number;
}

export interface SylkConfig {
  daemon: DaemonConfig;
  llm: LlmConfig;
  budgets: BudgetsConfig;
  tools: ToolsConfig;
  security: SecurityConfig;
  sessions: SessionsConfig;
  pipelines: PipelinesConfig;
  mcp: McpConfig;
  resources: ResourcesConfig;
  web: WebConfig;
}

/** `web`: the dashboard server inside sylkd (`sylk web`). */
interface WebConfig {
  /** Start it with sylkd, not only when `sylk web` asks. */
  enabled: boolean;
}

/** `resources`: sylkd's memory ceiling and the disk quota of Sylk's own data. */
interface ResourcesConfig {
  memory: {
    /** 0 = derived from the machine's memory. */
    ceiling_mb: number;
    evict_at: number;
    pause_pipelines_at: number;
    pause_all_at: number;
    hysteresis: number;
    sample_interval_ms: number;
  };
  disk: {
    /** 0 = derived from the free space. */
    quota_mb: number;
    warn_at: number;
    clean_at: number;
    clean_older_than_hours: number;
    check_interval_seconds: number;
  };
}

/** `pipelines`: delegated tasks (spawn_task) and the daemon's scheduler of them. */
export interface PipelinesConfig {
  /** 0 = CPU cores. */
  max_concurrent: number;
  max_per_session: number;
  budget_usd: number;
  queue_timeout_seconds: number;
}

export type ConfigLayer = 'defaults' | 'project' | 'user' | 'project_local' | 'env' | 'env_file';

export interface ConfigSource {
  layer: ConfigLayer;
  /** File path, or the environment variable(s) for the env layer. */
  path: string;
  present: boolean;
}

export interface ConfigWarning {
  /** The file or `$SYLK_…` variable the problem came from. */
  file: string;
  /** Dotted config path, empty for the whole file. */
  path: string;
  reason: string;
}

export interface LoadedConfig {
  /** Deep-frozen; replaced as a whole on reload, never mutated. */
  config: SylkConfig;
  sources: ConfigSource[];
  warnings: ConfigWarning[];
  /** Clock.now() when the load finished. */
  loadedAt: number;
}
