//! Device platforms and the kinds of data residue an unbind can leave,
//! with the per-platform facts of the domain: what each platform leaves
//! behind and after how long an inactive device is logged out.

use crate::engine::SimDuration;

/// A device platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Platform {
    Ios,
    Android,
    Windows,
    Macos,
}

impl Platform {
    pub const ALL: [Platform; 4] = [Platform::Ios, Platform::Android, Platform::Windows, Platform::Macos];

    pub fn name(self) -> &'static str {
        match self {
            Platform::Ios => "ios",
            Platform::Android => "android",
            Platform::Windows => "windows",
            Platform::Macos => "macos",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// A phone, as opposed to a desktop.
    pub fn is_mobile(self) -> bool {
        matches!(self, Platform::Ios | Platform::Android)
    }

    /// After how long an inactive, still-bound device is logged out
    /// automatically (iOS 90 d, Android 60 d, Windows never; macOS is not
    /// given by the source and follows iOS).
    pub fn auto_logout_after(self) -> Option<SimDuration> {
        match self {
            Platform::Ios | Platform::Macos => Some(SimDuration::from_days(90)),
            Platform::Android => Some(SimDuration::from_days(60)),
            Platform::Windows => None,
        }
    }

    /// What the app leaves on the device when it is not cleaned up:
    /// keychain credentials on iOS, a cache on the SD card on Android,
    /// registry entries on Windows; macOS clears its keychain sync.
    pub fn local_residue(self) -> Residue {
        match self {
            Platform::Ios => Residue::of(ResidueKind::Credentials),
            Platform::Android => Residue::of(ResidueKind::SdCache),
            Platform::Windows => Residue::of(ResidueKind::Registry),
            Platform::Macos => Residue::EMPTY,
        }
    }

    /// Every kind of residue a device of this platform can leave behind
    /// on some way out of an unbind: its leftovers, chat history, the
    /// trusted-device entry, and biometric records where it enrols them.
    pub fn possible_residue(self) -> Residue {
        let device = self.local_residue().with(ResidueKind::ChatHistory).with(ResidueKind::TrustedDevice);
        if self.has_biometrics() { device.with(ResidueKind::Biometric) } else { device }
    }

    /// Whether local chat history outlives the retention period and the
    /// app's own clearing (Windows keeps its history files).
    pub fn keeps_chat_history(self) -> bool {
        self == Platform::Windows
    }

    /// What stays on a device of this platform that left an unbind by
    /// `exit`: the one rule every path (self-exit, device change, admin
    /// unbind) reads.
    pub fn residue_rule(self, exit: DeviceExit) -> ResidueRule {
        use DeviceExit::*;
        use Fate::*;
        let leftovers = match exit {
            Cleared | Wiped => Removed,
            LoggedOut | CheckedIn | Uninstalled => ForcedCleanup,
            Unreachable => Kept,
        };
        let chat_history = match exit {
            Wiped => Removed,
            Unreachable => Kept,
            Cleared | LoggedOut | CheckedIn | Uninstalled if self.keeps_chat_history() => Kept,
            Cleared | Uninstalled => Removed,
            LoggedOut | CheckedIn => Expires,
        };
        ResidueRule { leftovers, chat_history }
    }

    /// Whether the platform enrols biometrics (Face ID / Touch ID /
    /// fingerprint) that must be cleared separately.
    pub fn has_biometrics(self) -> bool {
        self != Platform::Windows
    }
}

/// How a device left an unbind, which decides what residue stays on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceExit {
    /// The member logged out and cleared the app's data (on Android, or
    /// wiped the app locally).
    Cleared,
    /// The member logged out and skipped clearing the app's data.
    LoggedOut,
    /// The app logged itself out when the device checked in after a
    /// server-side unbind (an admin's, or the member's exit on another
    /// device): nobody cleared anything.
    CheckedIn,
    /// The app was uninstalled while the device was still bound.
    Uninstalled,
    /// Nobody reaches the device (lost without a wipe, or it never checks
    /// in): the app never runs again.
    Unreachable,
    /// Remotely wiped by MDM.
    Wiped,
}

impl DeviceExit {
    pub const ALL: [DeviceExit; 6] = [
        DeviceExit::Cleared,
        DeviceExit::LoggedOut,
        DeviceExit::CheckedIn,
        DeviceExit::Uninstalled,
        DeviceExit::Unreachable,
        DeviceExit::Wiped,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DeviceExit::Cleared => "cleared",
            DeviceExit::LoggedOut => "logged_out",
            DeviceExit::CheckedIn => "checked_in",
            DeviceExit::Uninstalled => "uninstalled",
            DeviceExit::Unreachable => "unreachable",
            DeviceExit::Wiped => "wiped",
        }
    }
}

/// What happens to one kind of device residue after an unbind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Removed,
    Kept,
    /// Kept unless forced cleanup (Apple ID reset, factory reset, HKCU
    /// delete) is done, with `behaviour.forced_cleanup`.
    ForcedCleanup,
    /// Deleted by the app after `policy.chat_retention`.
    Expires,
}

impl Fate {
    pub fn name(self) -> &'static str {
        match self {
            Fate::Removed => "removed",
            Fate::Kept => "kept",
            Fate::ForcedCleanup => "kept unless forced cleanup",
            Fate::Expires => "deleted after chat retention",
        }
    }
}

/// A platform's rule for one way out of an unbind: the fate of its
/// leftovers (`Platform::local_residue`) and of local chat history.
/// Biometric records are a separate choice of the member (kept or not) on
/// every exit but a remote wipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResidueRule {
    pub leftovers: Fate,
    pub chat_history: Fate,
}

/// A kind of data that can survive an unbind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResidueKind {
    /// Credentials in the iOS keychain.
    Credentials,
    /// App cache on an Android SD card.
    SdCache,
    /// Registry entries under HKCU on Windows.
    Registry,
    /// Face ID / Touch ID / fingerprint records.
    Biometric,
    /// Local chat history on the device.
    ChatHistory,
    /// The device still listed (and bound) as a trusted device.
    TrustedDevice,
    /// A third-party app's data still using the enterprise's storage.
    AppData,
    /// A cloud copy of the member's messages kept at unbind.
    CloudCopy,
    /// The dissolved enterprise's encrypted archive.
    Archive,
}

impl ResidueKind {
    pub const ALL: [ResidueKind; 9] = [
        ResidueKind::Credentials,
        ResidueKind::SdCache,
        ResidueKind::Registry,
        ResidueKind::Biometric,
        ResidueKind::ChatHistory,
        ResidueKind::TrustedDevice,
        ResidueKind::AppData,
        ResidueKind::CloudCopy,
        ResidueKind::Archive,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ResidueKind::Credentials => "credentials",
            ResidueKind::SdCache => "sd_cache",
            ResidueKind::Registry => "registry",
            ResidueKind::Biometric => "biometric",
            ResidueKind::ChatHistory => "chat_history",
            ResidueKind::TrustedDevice => "trusted_device",
            ResidueKind::AppData => "app_data",
            ResidueKind::CloudCopy => "cloud_copy",
            ResidueKind::Archive => "archive",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of residue kinds, one bit each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Residue(u16);

impl Residue {
    pub const EMPTY: Residue = Residue(0);

    pub fn of(kind: ResidueKind) -> Residue {
        Residue(kind.bit())
    }

    pub fn with(self, kind: ResidueKind) -> Residue {
        Residue(self.0 | kind.bit())
    }

    pub fn without(self, kind: ResidueKind) -> Residue {
        Residue(self.0 & !kind.bit())
    }

    /// The kinds of `self` that `other` lacks.
    pub fn minus(self, other: Residue) -> Residue {
        Residue(self.0 & !other.0)
    }

    pub fn union(self, other: Residue) -> Residue {
        Residue(self.0 | other.0)
    }

    pub fn contains(self, kind: ResidueKind) -> bool {
        self.0 & kind.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds held, in `ResidueKind::ALL` order (one step per set bit).
    pub fn kinds(self) -> impl Iterator<Item = ResidueKind> {
        let mut bits = self.0;
        std::iter::from_fn(move || {
            let index = bits.trailing_zeros() as usize;
            bits &= bits.wrapping_sub(1);
            ResidueKind::ALL.get(index).copied()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residue_set_operations() {
        let set = Residue::EMPTY.with(ResidueKind::Registry).with(ResidueKind::ChatHistory);
        assert!(set.contains(ResidueKind::Registry));
        assert!(!set.contains(ResidueKind::Credentials));
        assert_eq!(set.without(ResidueKind::Registry), Residue::of(ResidueKind::ChatHistory));
        assert_eq!(set.minus(Residue::of(ResidueKind::ChatHistory)), Residue::of(ResidueKind::Registry));
        assert_eq!(set.kinds().count(), 2);
    }

    #[test]
    fn platform_facts_follow_the_domain() {
        assert_eq!(Platform::Windows.auto_logout_after(), None);
        assert_eq!(Platform::Android.auto_logout_after(), Some(SimDuration::from_days(60)));
        assert!(Platform::Macos.local_residue().is_empty());
        assert!(Platform::Windows.keeps_chat_history());
    }

    #[test]
    fn clearing_data_removes_chat_history_on_every_path_but_windows_history_files() {
        for platform in Platform::ALL {
            let cleared = platform.residue_rule(DeviceExit::Cleared);
            assert_eq!(cleared.leftovers, Fate::Removed);
            let chat = if platform == Platform::Windows { Fate::Kept } else { Fate::Removed };
            assert_eq!(cleared.chat_history, chat, "{platform:?}");
            // Forced cleanup applies wherever someone still holds the device
            // and the app did not clear it, an admin's unbind included.
            for exit in [DeviceExit::LoggedOut, DeviceExit::CheckedIn, DeviceExit::Uninstalled] {
                assert_eq!(platform.residue_rule(exit).leftovers, Fate::ForcedCleanup);
            }
            assert_eq!(
                platform.residue_rule(DeviceExit::Unreachable),
                ResidueRule { leftovers: Fate::Kept, chat_history: Fate::Kept }
            );
        }
    }
}
