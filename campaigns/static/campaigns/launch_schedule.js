"use strict";
// The launch page's button says what it will do: "Launch now" while Send later is empty,
// "Schedule" once a date is in it (typed, or picked in the calendar, which sets the field
// without an input event: the button is read again after every click and key).
{
  const label = document.getElementById("launch-label");
  const date = document.getElementById("id_send_at_0");
  if (label && date) {
    const icon = label.closest("button")?.querySelector(".material-symbols-outlined");
    const update = () => {
      const later = date.value.trim() !== "";
      label.textContent = later ? label.dataset.later : label.dataset.now;
      if (icon) icon.textContent = later ? "schedule_send" : "rocket_launch";
    };
    for (const event of ["input", "change", "keyup"]) {
      document.addEventListener(event, update);
    }
    // Captured: the calendar stops its clicks from reaching the document.
    document.addEventListener("click", () => setTimeout(update), true);
    update();
  }
}
