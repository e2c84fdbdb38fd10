//! The products the public pages describe.

/// One product page's content.
#[derive(Debug)]
pub(crate) struct Product {
    pub slug: &'static str,
    pub name: &'static str,
    pub lead: &'static str,
    pub features: &'static [(&'static str, &'static str)],
}

pub(crate) const PRODUCTS: &[Product] = &[
    Product {
        slug: "dermatology",
        name: "Dermatology",
        lead: "Lesions on a body map, biopsies tracked from order to result, photographs that stay on your server.",
        features: &[
            (
                "Body maps and lesion history",
                "Record each lesion once and follow it visit by visit, with its photographs side by side.",
            ),
            (
                "Closed-loop biopsy log",
                "Every specimen from order to pathology result to patient notification, with alerts when a result is late.",
            ),
            (
                "Procedure coding",
                "Biopsy, destruction, excision, repair and Mohs codes proposed from the note, with the reason for each.",
            ),
            (
                "Clinical photography",
                "Consent recorded per purpose; photographs encrypted at rest and never sent to us.",
            ),
        ],
    },
    Product {
        slug: "eye-care",
        name: "Eye care",
        lead: "Exams, refractions and prescriptions, with the FTC's release and verification clocks built in.",
        features: &[
            (
                "Structured eye exams",
                "Visual acuity, refraction, keratometry and the rest, entered OD then OS and checked as you type.",
            ),
            (
                "Prescriptions",
                "Spectacle and contact lens prescriptions with each state's expiry rules and automatic release.",
            ),
            (
                "Contact lens verification",
                "Seller requests answered within eight business hours, counted on the federal calendar.",
            ),
            (
                "Recalls",
                "Patients due for their next exam are found and reminded without anyone keeping a list.",
            ),
        ],
    },
    Product {
        slug: "optical",
        name: "Optical shop",
        lead: "Frames, lenses and orders from the prescription to the pick-up, at the counter and in the lab.",
        features: &[
            (
                "Orders from the prescription",
                "Lens orders start from the signed prescription, so nothing is typed twice.",
            ),
            (
                "Point of sale",
                "Payments, insurance portions and receipts at the counter.",
            ),
            (
                "Inventory",
                "Frames and contact lenses by location, with what is on order.",
            ),
            (
                "Pick-up notices",
                "Patients hear when their glasses are ready, by the channel they chose.",
            ),
        ],
    },
];
