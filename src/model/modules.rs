//! The workspace's modules and the pro edition's per-module revoke: an
//! admin's disable may keep some modules of the member's account live
//! (`policy.keep_modules`, keep mail and cut chat). The basic edition
//! disables all or nothing, so it keeps none. What a kept module leaves:
//! live access (the member can still reach it after the unbind) and the
//! data it holds (its residue: the mailbox of mail, and so on).

/// A module of the workspace a member's account reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Module {
    Mail,
    Chat,
    Files,
    Calendar,
}

impl Module {
    pub const ALL: [Module; 4] = [Module::Mail, Module::Chat, Module::Files, Module::Calendar];

    /// As `policy.keep_modules` and summaries spell it.
    pub fn name(self) -> &'static str {
        match self {
            Module::Mail => "mail",
            Module::Chat => "chat",
            Module::Files => "files",
            Module::Calendar => "calendar",
        }
    }

    /// The module called `name`.
    pub fn named(name: &str) -> Option<Module> {
        Module::ALL.into_iter().find(|module| module.name() == name)
    }

    /// The data a kept module holds on after the unbind: its residue.
    pub fn residue_name(self) -> &'static str {
        match self {
            Module::Mail => "mailbox",
            Module::Chat => "chat_messages",
            Module::Files => "cloud_files",
            Module::Calendar => "calendar_entries",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of modules, one bit each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModuleSet(u8);

impl ModuleSet {
    pub const EMPTY: ModuleSet = ModuleSet(0);

    pub fn with(self, module: Module) -> ModuleSet {
        ModuleSet(self.0 | module.bit())
    }

    pub fn contains(self, module: Module) -> bool {
        self.0 & module.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The modules in the set, in `Module::ALL` order.
    pub fn modules(self) -> impl Iterator<Item = Module> {
        Module::ALL.into_iter().filter(move |module| self.contains(*module))
    }

    /// The set of `names`; the error names the first unknown or repeated
    /// module.
    pub fn of_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<ModuleSet, String> {
        let mut set = ModuleSet::EMPTY;
        for name in names {
            let Some(module) = Module::named(name) else {
                let known: Vec<&str> = Module::ALL.iter().map(|m| m.name()).collect();
                return Err(format!("unknown module \"{name}\", expected some of: {}", known.join(", ")));
            };
            if set.contains(module) {
                return Err(format!("module \"{name}\" is listed twice"));
            }
            set = set.with(module);
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_sets_keep_their_order() {
        for module in Module::ALL {
            assert_eq!(Module::named(module.name()), Some(module));
        }
        let set = ModuleSet::of_names(["files", "mail"]).unwrap();
        assert_eq!(set.modules().collect::<Vec<_>>(), [Module::Mail, Module::Files]);
        assert!(!set.contains(Module::Chat));
        assert!(ModuleSet::of_names([]).unwrap().is_empty());
    }

    #[test]
    fn unknown_and_repeated_modules_are_refused() {
        assert!(ModuleSet::of_names(["mail", "fax"]).unwrap_err().contains("unknown module \"fax\""));
        assert!(ModuleSet::of_names(["chat", "chat"]).unwrap_err().contains("listed twice"));
    }
}
