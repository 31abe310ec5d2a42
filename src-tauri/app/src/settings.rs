//! The user's settings (`<config dir>/settings.json`) and what follows from them: the policy
//! this app grants the sidecar, where its outputs go, and where devices are looked for.
//!
//! The app is the policy's authority; the sidecar only mirrors it. Settings are read once at
//! startup; a file that does not parse stops the start with an error naming it (a typo must not
//! silently fall back to defaults, which might be wider than what the user asked for).

use std::num::NonZeroU64;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sidecar_host::types::{AbsolutePath, Capability, DevicesListParams, HostConfig, HostPort, Policy, Roots};

use crate::error::CommandError;

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Android devices reachable over TCP (wireless debugging), `host:port`.
    #[cfg_attr(test, ts(as = "Vec<String>"))]
    pub android_tcp: Vec<HostPort>,
    /// A usbmuxd other than the system's, `host:port`.
    #[cfg_attr(test, ts(as = "Option<String>"))]
    pub usbmux_address: Option<HostPort>,
    /// Downloads from loopback and private addresses (off: a web page must not be able to aim
    /// the downloader at the user's router or local services).
    pub allow_private_networks: bool,
    pub redact_identifiers: bool,
    /// Where downloads go; default `<Downloads>/Sidecar`.
    #[cfg_attr(test, ts(as = "Option<String>"))]
    pub downloads_dir: Option<AbsolutePath>,
    /// The adb private key; default `~/.android/adbkey`, as adb itself uses.
    #[cfg_attr(test, ts(as = "Option<String>"))]
    pub adb_key_path: Option<AbsolutePath>,
    #[cfg_attr(test, ts(as = "Option<String>"))]
    pub ios_pair_records_dir: Option<AbsolutePath>,
    #[cfg_attr(test, ts(as = "Option<String>"))]
    pub ffmpeg_location: Option<AbsolutePath>,
}

impl Settings {
    /// The settings at `path`, or the defaults when there is no such file.
    pub fn load(path: &Path) -> Result<Self, CommandError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(error) => return Err(invalid(path, &error.to_string())),
        };
        serde_json::from_str(&text).map_err(|error| invalid(path, &error.to_string()))
    }

    /// The sources configured here added to those the UI asks for.
    pub fn device_sources(&self, mut params: DevicesListParams) -> DevicesListParams {
        for address in &self.android_tcp {
            if !params.android_tcp.contains(address) {
                params.android_tcp.push(address.clone());
            }
        }
        params.usbmux_address = params.usbmux_address.or_else(|| self.usbmux_address.clone());
        params
    }

    pub fn host_config(&self) -> HostConfig {
        HostConfig {
            adb_key_path: self.adb_key_path.clone(),
            ios_pair_records_dir: self.ios_pair_records_dir.clone(),
            ffmpeg_location: self.ffmpeg_location.clone(),
            ..HostConfig::default()
        }
    }
}

fn invalid(path: &Path, reason: &str) -> CommandError {
    CommandError::new(
        "settings_invalid",
        format!("cannot read the settings file {}: {reason}", path.display()),
        "Fix the file, or delete it to start with the defaults.",
        false,
    )
}

/// The three folders the sidecar may write into, one per kind of output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Dirs {
    pub reports: PathBuf,
    pub logs: PathBuf,
    pub downloads: PathBuf,
}

impl Dirs {
    /// Reports and logs under the app's data folder; downloads where the settings say, else
    /// in a `Sidecar` folder of the user's Downloads, else under the data folder.
    pub fn new(data_dir: &Path, user_downloads: Option<PathBuf>, settings: &Settings) -> Self {
        let downloads = match (&settings.downloads_dir, user_downloads) {
            (Some(dir), _) => PathBuf::from(dir.as_str()),
            (None, Some(user)) => user.join("Sidecar"),
            (None, None) => data_dir.join("downloads"),
        };
        Self { reports: data_dir.join("reports"), logs: data_dir.join("logs"), downloads }
    }

    /// Create the folders; the sidecar writes into them but never creates a root itself.
    pub fn create(&self) -> Result<(), CommandError> {
        for dir in [&self.reports, &self.logs, &self.downloads] {
            std::fs::create_dir_all(dir).map_err(|error| {
                CommandError::new(
                    "io_error",
                    format!("cannot create {}: {error}", dir.display()),
                    "Check that the folder's parent exists and is writable, or choose another in the settings.",
                    false,
                )
            })?;
        }
        Ok(())
    }
}

/// Everything the app does, confined to `dirs`, no wider than the settings allow.
pub fn policy(settings: &Settings, dirs: &Dirs) -> Result<Policy, CommandError> {
    Ok(Policy {
        capabilities: vec![
            Capability::DeviceInspect,
            Capability::DeviceLogs,
            Capability::ReportWrite,
            Capability::DownloadFetch,
        ],
        roots: Roots {
            reports: Some(absolute(&dirs.reports)?),
            logs: Some(absolute(&dirs.logs)?),
            downloads: Some(absolute(&dirs.downloads)?),
        },
        allow_private_networks: settings.allow_private_networks,
        redact_identifiers: settings.redact_identifiers,
        max_concurrent_downloads: NonZeroU64::new(3).unwrap_or(NonZeroU64::MIN),
        max_log_bytes: 64 * 1024 * 1024,
    })
}

fn absolute(path: &Path) -> Result<AbsolutePath, CommandError> {
    let text = path.to_str().ok_or_else(|| {
        CommandError::new(
            "settings_invalid",
            format!("the folder {} is not valid UTF-8", path.display()),
            "Choose a folder whose name is valid UTF-8 in the settings.",
            false,
        )
    })?;
    text.parse().map_err(|error| {
        CommandError::new("settings_invalid", format!("{text}: {error}"), "Use an absolute path.", false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sidecar-app-settings-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        dir
    }

    #[test]
    fn a_missing_file_gives_the_defaults() {
        let settings = Settings::load(&scratch("missing").join("settings.json")).expect("defaults");
        assert_eq!(settings, Settings::default());
        assert!(!settings.allow_private_networks, "private networks are off unless asked for");
    }

    #[test]
    fn a_malformed_file_is_an_error_naming_it_not_the_defaults() {
        let path = scratch("malformed").join("settings.json");
        std::fs::write(&path, r#"{"allow_private_networks": true, "android_tcp": ["not an address"]}"#).unwrap();
        let error = Settings::load(&path).expect_err("an invalid address is refused");
        assert_eq!(error.kind, "settings_invalid");
        assert!(error.message.contains(&path.display().to_string()), "{}", error.message);
    }

    #[test]
    fn an_unknown_setting_is_refused_rather_than_ignored() {
        let path = scratch("unknown").join("settings.json");
        std::fs::write(&path, r#"{"allow_everything": true}"#).unwrap();
        assert!(Settings::load(&path).expect_err("unknown field").message.contains("allow_everything"));
    }

    #[test]
    fn the_policy_confines_every_output_to_its_folder() {
        let data = scratch("policy");
        let settings = Settings::default();
        let dirs = Dirs::new(&data, Some(data.join("Downloads")), &settings);
        let policy = policy(&settings, &dirs).expect("a policy");
        assert_eq!(policy.roots.reports.as_deref().map(String::as_str), data.join("reports").to_str());
        assert_eq!(policy.roots.downloads.as_deref().map(String::as_str), data.join("Downloads/Sidecar").to_str());
        assert!(!policy.allow_private_networks);
    }

    #[test]
    fn configured_device_sources_are_added_once() {
        let settings: Settings =
            serde_json::from_str(r#"{"android_tcp": ["127.0.0.1:5555"], "usbmux_address": "127.0.0.1:27015"}"#)
                .unwrap();
        let asked: DevicesListParams =
            serde_json::from_str(r#"{"android_tcp": ["127.0.0.1:5555", "10.0.0.2:5555"]}"#).unwrap();
        let merged = settings.device_sources(asked);
        assert_eq!(merged.android_tcp.len(), 2);
        assert_eq!(merged.usbmux_address.as_deref().map(String::as_str), Some("127.0.0.1:27015"));
    }
}
