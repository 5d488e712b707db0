//! Roles (角色) and what each may do. Permissions are decided here, in one table; what records a
//! caller may touch is decided by the jurisdiction scope in storage.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    CityCommander,
    CountyCommander,
    TownshipOfficer,
    GridWorker,
    HospitalStaff,
    CheckpointStaff,
    EnterpriseContact,
    SanitationInspector,
}

/// What a role may do; checked by handlers before calling storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ReadPersons,
    /// Register a new person (a checkpoint's traveller, a fever clinic's walk-in, a household member).
    RegisterPersons,
    /// Change another's record: the ledger keepers, who see it in full.
    EditPersons,
    /// Merge duplicate records (and undo a merge): the ledger keepers.
    MergePersons,
    /// See unmasked ID number, phone and name in a person's detail view (audited).
    ViewFullPerson,
    ManageUsers,
    ManageOrgs,
    ManageHouseholds,
    ReadAudit,
    /// Keep the screening ledger, observation episodes and check-ins; handle alerts.
    WriteLedger,
    /// Triage, open and decide cases, record samples and results (fever clinics, CDC, command).
    ManageCases,
    /// Designate hospitals and set their beds (city command).
    ManageHospitals,
    /// Read the daily report and the dashboard of one's unit and the units below (figures only).
    ReadReports,
    /// See the directives addressed to one's unit, acknowledge them and report back.
    ReceiveDirectives,
    /// Issue directives to one's child units and pass received ones down; record supervision visits.
    IssueDirectives,
    /// Keep the sanitation workforce register and record PPE inspections (the inspection groups).
    InspectSanitation,
    /// See the sanitation register, inspections and scores of one's area.
    ReadSanitation,
    /// Appeal a deduction of one's district's workers (the district command).
    AppealSanitation,
    /// Decide appeals and close a month's scores: the inspection groups, of which only the
    /// centre's (a scope over every district of the scheme) pass the storage's test.
    ReviewSanitation,
    /// Open, close and reopen screening points and assign their staff (county and township).
    ManagePoints,
    /// See the screening points of one's area, their records (masked) and counts.
    ReadPoints,
    /// Record screenings at the points one is assigned to (checkpoint staff; the storage checks
    /// the assignment).
    ScreenAtPoints,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::CityCommander,
        Role::CountyCommander,
        Role::TownshipOfficer,
        Role::GridWorker,
        Role::HospitalStaff,
        Role::CheckpointStaff,
        Role::EnterpriseContact,
        Role::SanitationInspector,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::CityCommander => "city_commander",
            Role::CountyCommander => "county_commander",
            Role::TownshipOfficer => "township_officer",
            Role::GridWorker => "grid_worker",
            Role::HospitalStaff => "hospital_staff",
            Role::CheckpointStaff => "checkpoint_staff",
            Role::EnterpriseContact => "enterprise_contact",
            Role::SanitationInspector => "sanitation_inspector",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::CityCommander => "市指挥部",
            Role::CountyCommander => "县(市)区指挥部",
            Role::TownshipOfficer => "乡镇街道干部",
            Role::GridWorker => "网格员",
            Role::HospitalStaff => "定点医院",
            Role::CheckpointStaff => "卡点人员",
            Role::EnterpriseContact => "企业/学校联络员",
            Role::SanitationInspector => "环卫考核员",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Role::Admin => "System administrator",
            Role::CityCommander => "City command centre",
            Role::CountyCommander => "County command centre",
            Role::TownshipOfficer => "Township officer",
            Role::GridWorker => "Grid worker",
            Role::HospitalStaff => "Designated hospital",
            Role::CheckpointStaff => "Checkpoint staff",
            Role::EnterpriseContact => "Enterprise / school contact",
            Role::SanitationInspector => "Sanitation inspector",
        }
    }

    pub fn may(self, permission: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match permission {
            // Minimum necessary: enterprise contacts and sanitation inspectors never see the registry.
            ReadPersons => !matches!(self, EnterpriseContact | SanitationInspector),
            RegisterPersons => !matches!(self, EnterpriseContact | SanitationInspector),
            EditPersons | MergePersons => matches!(self, Admin | CityCommander | CountyCommander | TownshipOfficer | GridWorker),
            // Checkpoint staff work from masked values; those who manage persons see them in full.
            ViewFullPerson => matches!(self, Admin | CityCommander | CountyCommander | TownshipOfficer | GridWorker | HospitalStaff),
            ManageUsers | ManageOrgs => self == Admin,
            ManageHouseholds => matches!(self, Admin | TownshipOfficer | GridWorker),
            ReadAudit => matches!(self, Admin | CityCommander | CountyCommander),
            WriteLedger => matches!(self, Admin | CityCommander | CountyCommander | TownshipOfficer | GridWorker),
            ManageCases => matches!(self, Admin | CityCommander | CountyCommander | HospitalStaff),
            ManageHospitals => matches!(self, Admin | CityCommander),
            ReadReports => matches!(self, Admin | CityCommander | CountyCommander | TownshipOfficer | GridWorker),
            ReceiveDirectives => matches!(self, Admin | CityCommander | CountyCommander | TownshipOfficer | GridWorker),
            IssueDirectives => matches!(self, Admin | CityCommander | CountyCommander | TownshipOfficer),
            InspectSanitation => matches!(self, Admin | SanitationInspector),
            ReadSanitation => matches!(self, Admin | CityCommander | CountyCommander | SanitationInspector),
            AppealSanitation => matches!(self, Admin | CountyCommander),
            ReviewSanitation => matches!(self, Admin | SanitationInspector),
            ManagePoints => matches!(self, Admin | CountyCommander | TownshipOfficer),
            ReadPoints => matches!(self, Admin | CityCommander | CountyCommander | TownshipOfficer | CheckpointStaff),
            ScreenAtPoints => self == CheckpointStaff,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn checkpoint_staff_register_what_they_screen_but_edit_and_merge_nothing() {
        assert!(Role::CheckpointStaff.may(Permission::RegisterPersons));
        assert!(!Role::CheckpointStaff.may(Permission::EditPersons) && !Role::CheckpointStaff.may(Permission::MergePersons));
        assert!(!Role::HospitalStaff.may(Permission::EditPersons));
        // Whoever edits a record sees it in full.
        assert!(Role::ALL.iter().all(|r| !r.may(Permission::EditPersons) || r.may(Permission::ViewFullPerson)));
    }

    #[test]
    fn sanitation_inspectors_never_see_persons() {
        assert!(!Role::SanitationInspector.may(Permission::ReadPersons));
        assert!(Role::GridWorker.may(Permission::ViewFullPerson));
        assert!(!Role::CheckpointStaff.may(Permission::ViewFullPerson));
    }
}
