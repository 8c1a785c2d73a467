from django.urls import path

from .views import resident, staff

app_name = "bookings"

urlpatterns = [
    path("", resident.resource_list, name="resource_list"),
    path("mine/", resident.my_bookings, name="my_bookings"),
    path("bulky-waste/", resident.bulky_waste_start, name="bulky_waste_start"),
    path("b/<uuid:booking_id>/", resident.booking_detail, name="booking_detail"),
    path("b/<uuid:booking_id>/calendar.ics", resident.booking_ics, name="booking_ics"),
    path("b/<uuid:booking_id>/cancel/", resident.booking_cancel, name="booking_cancel"),
    path("b/<uuid:booking_id>/pay/", resident.booking_pay, name="booking_pay"),
    path("staff/", staff.staff_home, name="staff_home"),
    path("staff/checkin/<str:token>/", staff.staff_checkin, name="staff_checkin"),
    path("staff/slots/<int:slot_id>/", staff.staff_slot, name="staff_slot"),
    path("staff/slots/<int:slot_id>/close/", staff.staff_slot_close, name="staff_slot_close"),
    path("staff/slots/<int:slot_id>/reopen/", staff.staff_slot_reopen,
         name="staff_slot_reopen"),
    path("staff/slots/<int:slot_id>/book/", staff.staff_book_on_behalf,
         name="staff_book_on_behalf"),
    path("staff/b/<uuid:booking_id>/", staff.staff_booking, name="staff_booking"),
    path("staff/<slug:code>/", staff.staff_calendar, name="staff_calendar"),
    path("staff/<slug:code>/closures/new/", staff.staff_closure_new, name="staff_closure_new"),
    path("staff/<slug:code>/export.csv", staff.staff_export, name="staff_export"),
    path("staff/<slug:code>/checkin-code/", staff.staff_checkin_poster,
         name="staff_checkin_poster"),
    path("<slug:code>/", resident.resource_detail, name="resource_detail"),
    path("<slug:code>/slots/<int:slot_id>/book/", resident.booking_new, name="booking_new"),
    path("<slug:code>/checkin/<str:secret>/", resident.self_checkin, name="self_checkin"),
]
