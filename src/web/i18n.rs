//! Interface language: Simplified Chinese by default, English selectable (cookie `fk_lang`).
//! Templates carry both texts side by side (`t.pick("登记", "Register")`), so a page can never show a
//! missing key; closed lists carry both labels (`labelled_enum!`). Field error messages stay in
//! Chinese, the working language of the platform (see "Two languages" in docs/architecture.md).

use axum::http::request::Parts;

pub const LANG_COOKIE: &str = "fk_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Lang {
        match crate::auth::caller::cookie(headers, LANG_COOKIE) {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub const fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_headers(&parts.headers))
    }
}

/// A field error's message as a page in `lang` shows it. Errors are written in Chinese where they
/// arise, with a stable code; an English page shows the code's English wording — general where the
/// Chinese names particulars (a date, a unit) — and the Chinese only for a code not listed here.
pub fn field_message(error: &crate::error::FieldError, lang: Lang) -> &str {
    message_in(&error.code, &error.message, lang)
}

/// A message with its error code, as a page in `lang` shows it (see [`field_message`]).
pub fn message_in<'a>(code: &str, message: &'a str, lang: Lang) -> &'a str {
    match lang {
        Lang::Zh => message,
        Lang::En => field_error_en(code).unwrap_or(message),
    }
}

fn field_error_en(code: &str) -> Option<&'static str> {
    Some(match code {
        "required" | "name_required" | "note_required" | "findings_required" | "inspectors_required" | "cause_required" => "Please fill this in",
        "too_long" | "name_length" | "title_length" | "body_length" | "feedback_length" | "fix_length" | "address_length" => "Please fill this in, within the length allowed",
        "control_character" => "Contains an invisible control or direction character; delete it and type again",
        "date_invalid" => "Not a valid date: write it as YYYY-MM-DD (a real day)",
        "time_invalid" => "Write the time as YYYY-MM-DD HH:MM (Beijing time)",
        "date_future" | "birth_future" => "The date cannot be later than today",
        "time_future" | "in_future" => "The time cannot be later than now",
        "date_too_early" => "The date cannot be before 2019-12-01",
        "range_invalid" => "The end date cannot be before the start date",
        "time_out_of_range" | "times_out_of_order" | "before_diagnosis" | "result_before_sample" | "received_before_taken" => "The time is out of order with the case's other times, or later than now",
        "arrival_before_departure" => "The arrival date cannot be before the departure date",
        "org_unknown" | "org_invalid" => "Choose a unit of your jurisdiction from the list",
        "org_level" | "kind_level" => "Choose a unit of the level this takes",
        "person_unknown" => "No such person in your jurisdiction; search by name, the ID's last four digits or phone",
        "person_required" => "Find the person by name, the ID's last four digits or phone",
        "person_choose" => "Several persons found: choose one",
        "person_confirm" => "One person found: check it is them, then submit",
        "household_invalid" | "household_unknown" | "household_mismatch" => "Choose a household of the unit from the list",
        "site_unknown" | "site_required" => "Choose a centralized site from the list",
        "site_full" => "The site is full; choose another",
        "site_for_home" => "Home observation takes no site",
        "hospital_unknown" => "Choose a designated hospital",
        "hospital_full" => "The hospital has no free bed of that kind; choose another",
        "kind_unknown" | "category_unknown" | "exposure_unknown" | "result_unknown" | "test_unknown" | "sample_unknown" | "severity_unknown" | "bed_kind_unknown" | "outcome_invalid"
        | "role_unknown" | "status_unknown" | "status_invalid" | "slot_invalid" | "transport_unknown" | "milestone_unknown" | "decision_unknown" | "item_unknown" | "symptom_unknown"
        | "id_type_unknown" | "ethnicity_unknown" | "sex_invalid" => "Choose one of the options offered",
        "checked_required" => "Tick what was checked",
        "fix_missing" => "A deadline is given without its required fix: write the fix, or clear the deadline",
        "fix_due_missing" => "Choose a deadline for each required fix",
        "fix_due_before_visit" => "A fix's deadline cannot be before the visit",
        "id_characters" | "id_invalid" => "The document number is not valid; check it digit by digit",
        "id_excel_mangled" => "Excel turned the ID number into scientific notation (4.30481E+17) and lost its last digits: format the column as text and enter all 18 digits",
        "id_length" => "A resident ID number has 18 digits (or 15 on an old card)",
        "id_birth_date" => "The birth date inside the ID number (digits 7–14) is not a real date",
        "id_future_birth_date" => "The birth date inside the ID number is in the future",
        "id_checksum" => "The check digit does not match; compare the number digit by digit",
        "phone_invalid" => "A mainland mobile number has 11 digits starting with 1 and 3–9",
        "sex_mismatch" => "The sex does not match the ID number",
        "birth_mismatch" => "The birth date does not match the ID number",
        "name_characters" => "A name cannot contain digits or control characters",
        "name_mismatch" => "This ID is registered elsewhere under another name; check the name and number",
        "duplicate" => "This document is already registered",
        "division_invalid" => "Write a 6-digit division code, e.g. 430481",
        "username_invalid" => "2–32 letters, digits, underscores, dots or hyphens",
        "username_taken" => "This username is taken",
        "password_weak" => "Choose a longer password, not easy to guess",
        "beds_invalid" | "capacity_range" | "beds_below_taken" => "Enter a whole number of beds within the range allowed",
        "open_case" => "This person is a case, treated in a designated hospital: no observation",
        "fever_open" => "A fever or symptom alert is still open: handle it first",
        "period_incomplete" => "The observation period is not complete yet",
        "period_complete" | "period_already_complete" => "The observation period is already complete",
        "restart_date" => "The new exposure date must be after the current start, and not later than today",
        "case_open" => "This person already has an open case",
        "mode_unknown" => "Choose how bad rows are handled: import nothing, or import the valid rows",
        "attendees_required" => "Tick the workers who attended",
        "number_taken" => "This staff number is already another worker's in the district",
        "worker_required" => "Choose the worker inspected, or a role for one not on the register",
        "worker_unknown" => "No such worker on the district's register: inspect them as not registered",
        "worker_not_working" => "The worker was not on the register that day",
        "item_not_required" => "Tick only the items the worker's role requires",
        "before_edition" => "The day is before the protection rule came into force",
        "district_outside_scheme" => "The unit is not in the districts of the sanitation scheme",
        "place_length" => "Write the place, within 100 characters",
        "date_before_inspection" => "The worker was inspected on or after that day: the day they left must be later",
        "single_line" => "One line only: no line breaks",
        "month_not_over" => "The month has not ended yet: close it after its last day",
        "org_department" => "A city department is not a unit records are kept at: choose a county, township or community",
        "photo_too_large" => "The photo is over 5 MB: compress it and upload again",
        "photo_not_image" | "photo_not_base64" => "The file is not a photo (JPEG, PNG, WebP or HEIC)",
        "month_closed" => "The month's scores are closed: nothing in it can change",
        "month_invalid" => "Write the month as YYYY-MM, e.g. 2020-02",
        "month_future" => "That month has not begun",
        "appeals_open" => "Appeals of the month are still waiting: decide them before closing",
        "appeal_late" => "Too late to appeal: a deduction is appealed within the hours the rule gives",
        "appeal_uncounted" => "A second inspection that day does not count in the score: nothing to appeal",
        "items_required" => "Tick the deducted items you dispute",
        "item_not_deducted" => "Only an item that cost points can be disputed",
        "reason_length" => "Write why, in 2 to 500 characters",
        "date_before_start" => "The day cannot be before the worker started",
        "file_missing" => "Choose the .xlsx or .csv file to import",
        "file_empty" | "no_rows" => "The file chosen holds no rows to import: check it and choose again",
        "duplicate_in_file" => "The same document number as an earlier row of the file",
        "grid_unknown" => "No grid of that name in this village or community; write one of its grids",
        "registered_elsewhere" => "This document is registered in another jurisdiction; ask the unit above to check",
        "file_unreadable" | "filename_invalid" | "empty" | "columns_missing" => "The file cannot be read as a ledger: check it and upload again",
        "same_person" => "A record cannot be merged with itself",
        "self_disable" => "You cannot disable your own account",
        "contact_is_case" => "A close contact cannot be the case themselves",
        "ack_due_past" => "The acknowledgement deadline must be later than now",
        "feedback_before_ack" | "later_than_received" => "The feedback deadline must fall between the acknowledgement deadline and the one received",
        "not_supervising_unit" => "A fix is confirmed or sent back by the supervising unit",
        "not_visited_unit" => "A fix is reported done by the visited unit",
        _ => return None,
    })
}
